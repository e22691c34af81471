"""Tell a file's type from its first bytes (puremagic's signatures), then its name when text is ambiguous."""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from pathlib import PurePath

import puremagic

from archive.clean import looks_binary

logger = logging.getLogger(__name__)

HEAD_BYTES = 8192
SUPPORTED_KINDS = frozenset({"text", "html", "pdf", "docx", "odt", "eml", "mbox", "epub", "reuters-sgml",
                             "zip", "tar", "gzip"})

_HTML = re.compile(rb"^\s*(<!doctype html|<html|<head|<meta|<body|<!--)", re.IGNORECASE)
_REUTERS = re.compile(rb"<!DOCTYPE lewis|<REUTERS\b")
_MBOX_FROM = re.compile(rb"^From \S+.*\d{4}\s*$", re.MULTILINE)
_HEADER = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*):[ \t]", re.MULTILINE)
_MAIL_HEADERS = {b"from", b"to", b"subject", b"date", b"message-id", b"received", b"return-path",
                 b"mime-version", b"delivered-to", b"cc", b"in-reply-to", b"references"}
_BY_SUFFIX = {".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html", ".eml": "eml",
              ".mbox": "mbox", ".mbx": "mbox", ".sgm": "reuters-sgml", ".sgml": "reuters-sgml"}
# Text formats whose markup would be indexed as words: reported as unsupported instead.
_TEXT_NOT_DOCUMENTS = ((b"{\\rtf", "application/rtf"), (b"%!PS", "application/postscript"))
_ZIP_MIMETYPES = {"application/vnd.oasis.opendocument.text": "odt", "application/epub+zip": "epub"}


def detect(path: PurePath, head: bytes, data: bytes | None = None) -> str:
    """Return the kind of a file from its first bytes (and its whole bytes or path for zip files).

    Kinds are those in SUPPORTED_KINDS, or "unsupported:<mime type or description>".
    """
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path, data)
    if head.startswith(b"\x1f\x8b"):
        return "tar" if _gzip_holds_tar(head) else "gzip"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if not head.strip():
        return "text"  # an empty file: the cleaner reports it as empty
    if looks_binary(head):
        return "unsupported:" + _describe(head)
    return _text_kind(path, head)


def _describe(head: bytes) -> str:
    """Name a binary type we do not read, from puremagic's signature database."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return "binary data"
    if not matches:
        return "binary data"
    return matches[0].mime_type or matches[0].name or "binary data"  # the most confident match


def _text_kind(path: PurePath, head: bytes) -> str:
    """Tell the text formats apart: SGML, mailbox, e-mail, HTML, then by extension, else text."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for signature, mime in _TEXT_NOT_DOCUMENTS:
        if start.startswith(signature):
            return "unsupported:" + mime
    if _REUTERS.search(head[:2048]):
        return "reuters-sgml"
    if start.startswith(b"From ") and _MBOX_FROM.match(start):
        return "mbox"
    if _looks_like_mail(start):
        return "eml"
    if _HTML.match(start):
        return "html"
    by_name = _BY_SUFFIX.get(path.suffix.lower())
    if by_name in ("html", "eml", "mbox"):
        return by_name
    return "text"


def _looks_like_mail(start: bytes) -> bool:
    """True when the file opens with a block of RFC 5322 headers, at least two of them mail headers."""
    block = start.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    lines = [ln for ln in block.splitlines() if ln and not ln[:1].isspace()]
    if len(lines) < 2:
        return False
    names = [m.group(1).lower() for ln in lines if (m := _HEADER.match(ln + b" "))]
    return len(names) == len(lines) and len(_MAIL_HEADERS.intersection(names)) >= 2


def _zip_kind(path: PurePath, data: bytes | None) -> str:
    """Tell a Word, OpenDocument or EPUB file from a plain zip by the members inside."""
    try:
        source = io.BytesIO(data) if data is not None else str(path)
        with zipfile.ZipFile(source) as z:
            names = set(z.namelist())
            if "mimetype" in names:
                mimetype = z.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype in _ZIP_MIMETYPES:
                    return _ZIP_MIMETYPES[mimetype]
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    return "unsupported:" + mimetype
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
                return "unsupported:" + ("spreadsheet (xlsx)" if "xl/workbook.xml" in names else "slides (pptx)")
    except Exception as exc:  # noqa: BLE001 - a damaged zip is the reader's to report, not detect's
        logger.debug("zip sniffing %s failed: %s", path, exc)
    return "zip"


def _gzip_holds_tar(head: bytes) -> bool:
    """True when the first decompressed block of a gzip stream is a tar header."""
    try:
        block = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 600)
    except zlib.error:
        return False
    return block[257:262] == b"ustar"
