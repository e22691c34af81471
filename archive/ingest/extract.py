"""Turn one source file into a cleaned `Document`: read, detect its kind, clean, fill in metadata."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.clean import PIPELINE_VERSION, clean_html, clean_text, decode_bytes, looks_binary
from archive.clean.language import detect_language
from archive.clean.meta import date_from_mtime, date_from_name, date_from_text, split_title
from archive.documents import Document, content_hash, document_id
from archive.errors import SourceUnreadable
from archive.formats import HEAD_BYTES, Limits, Part, detect, read_parts
from archive.ingest.walk import name_matcher

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
SUPPORTED_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES
_HTML_SNIFF = re.compile(rb"^\s*(<!doctype html|<html|<head|<meta|<!--)", re.IGNORECASE)
# A file's stat and all its bytes, when the caller has read them already (to hash them): the file
# is then not read again, and what is cleaned is what was hashed.
Content = tuple[os.stat_result, bytes]


def extract_file(
    path: Path,
    *,
    collection: str,
    root: Path,
    learnt: frozenset[str] = frozenset(),
    max_bytes: int = DEFAULT_MAX_BYTES,
    content: Content | None = None,
) -> Document:
    """Read and clean one file; raise `SourceUnreadable` with a plain reason when it cannot be."""
    st, data = _read(path, max_bytes, content=content)
    if not data.strip():
        raise SourceUnreadable("empty file")
    if looks_binary(data):
        raise SourceUnreadable("binary content, not text")
    raw, encoding = decode_bytes(data)
    relpath = path.relative_to(root).as_posix() if path != root else path.name
    doc = Document(
        id=document_id(collection, relpath),
        collection=collection,
        path=str(path),
        relpath=relpath,
        title="",
        text="",
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        encoding=encoding,
        pipeline=PIPELINE_VERSION,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if is_html(path, data):
        _fill_from_html(doc, raw, learnt)
    else:
        _fill_from_text(doc, raw, learnt)
    doc.format = "html" if is_html(path, data) else "text"
    _complete(doc, raw, path, root, collection)
    return doc


def _complete(doc: Document, raw: str, path: Path, root: Path, collection: str,
              member_mtime_ns: int | None = None) -> None:
    """Fill in what every document needs after cleaning: date, source, language, content hash.

    `member_mtime_ns` is the timestamp an archive gives the member this document came from; it
    dates the document (failing a date in its text or name) rather than the archive file's own
    modification time, which is usually when it was downloaded or copied.
    """
    if not doc.text.strip() and not doc.title:
        raise SourceUnreadable("no text left after cleaning")
    _fill_date(doc, raw, member_mtime_ns)
    # Failing metadata, rules and sign-offs, the folder a file sits in names its source.
    doc.source = doc.source or (path.parent.name if path.parent != root else collection)
    doc.language = doc.language or detect_language(doc.title + "\n" + doc.text)
    doc.content_hash = content_hash(doc.title + "\n" + doc.text)
    doc.file_id = doc.file_id or doc.id


def _read(path: Path, max_bytes: int, limit: int = -1, content: Content | None = None) -> Content:
    """Return the file's stat and its bytes (the first `limit` of them), or raise with a reason."""
    if content is not None:
        st, data = content
        if st.st_size > max_bytes:
            raise SourceUnreadable(f"too large ({st.st_size:,} bytes; the limit is {max_bytes:,})")
        return st, data if limit < 0 else data[:limit]
    try:
        st = path.stat()
        if st.st_size > max_bytes:
            raise SourceUnreadable(f"too large ({st.st_size:,} bytes; the limit is {max_bytes:,})")
        with path.open("rb") as f:
            return st, f.read(limit)
    except OSError as exc:
        raise SourceUnreadable(f"cannot read: {exc.strerror or exc}") from exc


def is_html(path: Path, data: bytes) -> bool:
    """Return True for an HTML file, by extension or by its first bytes."""
    return path.suffix.lower() in HTML_SUFFIXES or bool(_HTML_SNIFF.match(data[:512].lstrip(b"\xef\xbb\xbf")))


def _fill_from_text(doc: Document, raw: str, learnt: frozenset[str]) -> None:
    cleaned = clean_text(raw, learnt=learnt)
    title, used = split_title(cleaned.paragraphs)
    doc.title = title
    doc.text = "\n\n".join(cleaned.paragraphs[used:])
    shift = len(cleaned.paragraphs[0]) + 2 if used else 0
    for r in cleaned.removed:
        r.at = max(0, r.at - shift)
    doc.removed = cleaned.removed
    doc.source = cleaned.source


def _fill_from_html(doc: Document, raw: str, learnt: frozenset[str]) -> None:
    cleaned = clean_html(raw, learnt=learnt)
    doc.text = cleaned.text
    doc.title = cleaned.title or split_title(cleaned.paragraphs)[0]
    doc.removed = cleaned.removed
    doc.source, doc.url, doc.language = cleaned.source, cleaned.url, cleaned.language
    if cleaned.date:
        doc.date, doc.date_source = cleaned.date, "metadata"


def _fill_date(doc: Document, raw: str, member_mtime_ns: int | None = None) -> None:
    if doc.date:
        return
    # A dateline or byline that cleaning removed is the best evidence in the text.
    dateline = "\n".join(r.text for r in doc.removed if r.reason in ("date line", "byline"))
    for value, origin in (
        (date_from_text(dateline), "text"),
        (date_from_text(doc.title + "\n" + doc.text), "text"),
        (date_from_name(os.path.basename(doc.relpath)), "filename"),
        (date_from_mtime(member_mtime_ns or doc.mtime_ns), "mtime"),
    ):
        if value:
            doc.date, doc.date_source = value, origin
            return


@dataclass
class PartProblem:
    """A part of a source file that could not be indexed (`skipped` when it is not a failure)."""

    subpath: str
    reason: str
    skipped: bool = False


def extract_documents(
    path: Path,
    *,
    collection: str,
    root: Path,
    learnt: frozenset[str] = frozenset(),
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: str = "",
    exclude: Sequence[str] = (),
    content: Content | None = None,
) -> tuple[list[Document], list[PartProblem]]:
    """Read one source file of any supported format into its documents.

    A text or HTML file gives one document (as `extract_file`); a PDF, Word or OpenDocument file,
    an EPUB, an e-mail gives one; a mailbox one per message and attachment; a Reuters SGML file one
    per article; an archive one per member. Raises `SourceUnreadable` only when the file itself
    cannot be read; a bad part is returned as a `PartProblem` and the other parts still count.
    Members of archives with a folder or file name matching `exclude` (the walker's patterns)
    are passed over, as the walker passes over such files.
    """
    st, head = _read(path, max_bytes, HEAD_BYTES, content)
    kind = detect(path, head)
    if kind in ("text", "html"):
        return [extract_file(path, collection=collection, root=root, learnt=learnt, max_bytes=max_bytes,
                             content=content)], []
    if kind.startswith("unsupported"):
        if path.suffix.lower() in SUPPORTED_SUFFIXES - {""}:
            # It calls itself text or HTML but is not: a damaged or misnamed file, a failure.
            raise SourceUnreadable("binary content, not text")
        return [], [PartProblem("", f"unsupported: {kind.partition(':')[2] or 'unknown type'}", skipped=True)]
    file_rel = path.relative_to(root).as_posix()
    file_id = document_id(collection, file_rel)
    docs, problems = [], []
    for part in read_parts(path, None, kind, limits=Limits(max_file_bytes=max_bytes), ocr=ocr,
                           excluded=name_matcher(list(exclude))):
        if part.error or part.skipped:
            reason = part.error or part.skipped or ""
            skipped = bool(part.skipped) or reason.startswith("unsupported")
            problems.append(PartProblem(part.subpath, reason, skipped=skipped))
            continue
        try:
            docs.append(_part_document(part, path, st, collection, root, file_rel, file_id, learnt))
        except SourceUnreadable as exc:
            problems.append(PartProblem(part.subpath, str(exc)))
    return docs, problems


def _part_document(part: Part, path: Path, st: os.stat_result, collection: str, root: Path,
                   file_rel: str, file_id: str, learnt: frozenset[str]) -> Document:
    relpath = file_rel + part.subpath
    doc = Document(
        id=document_id(collection, relpath), collection=collection, path=str(path), relpath=relpath,
        title="", text="", size=st.st_size, mtime_ns=st.st_mtime_ns, pipeline=PIPELINE_VERSION,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        format=part.format, file_id=file_id, meta={**part.meta, "source_relpath": file_rel},
    )
    raw = part.raw
    if part.kind == "html":
        _fill_from_html(doc, raw, learnt)
    elif part.kind == "text":
        _fill_from_text(doc, raw, learnt)
    else:
        doc.title, doc.text, doc.removed = part.title, part.text, list(part.removed)
        raw = part.text
        if not doc.title and doc.text:
            doc.title = split_title(doc.text.split("\n\n"))[0]
    if part.meta.get("date") and not doc.date:
        doc.date, doc.date_source = str(part.meta["date"])[:10], "metadata"
    doc.url = doc.url or str(part.meta.get("url") or "")
    doc.language = doc.language or str(part.meta.get("language") or "")
    source = part.meta.get("source") or part.meta.get("from")
    if not doc.source and isinstance(source, str) and part.format not in ("eml", "mbox"):
        doc.source = source
    _complete(doc, raw, path, root, collection, int(part.mtime * 1e9) if part.mtime else None)
    return doc
