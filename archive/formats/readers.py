"""The table of readers, one per kind that `detect` returns; plain text and HTML pass straight on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from archive.clean import decode_bytes
from archive.formats.containers import read_gzip, read_tar, read_zip
from archive.formats.mail import read_eml, read_mbox
from archive.formats.model import Context, Part
from archive.formats.office import read_docx, read_epub, read_odt
from archive.formats.pdf import read_pdf
from archive.formats.reuters import read_reuters

Reader = Callable[[str, Any, Context], Iterator[Part]]  # bytes, or a memory map for STREAMED_KINDS


def read_text(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield a text file as one part for the cleaner."""
    raw, encoding = decode_bytes(data)
    yield Part(kind="text", raw=raw, meta={"encoding": encoding}, format="text")


def read_html(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield an HTML file as one part for the HTML cleaner."""
    raw, encoding = decode_bytes(data)
    yield Part(kind="html", raw=raw, meta={"encoding": encoding}, format="html")


READERS: dict[str, Reader] = {
    "text": read_text,
    "html": read_html,
    "pdf": read_pdf,
    "docx": read_docx,
    "odt": read_odt,
    "epub": read_epub,
    "eml": read_eml,
    "mbox": read_mbox,
    "reuters-sgml": read_reuters,
    "zip": read_zip,
    "tar": read_tar,
    "gzip": read_gzip,
}
