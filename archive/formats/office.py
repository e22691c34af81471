"""Read word-processor files: Word (.docx, with python-docx) and OpenDocument text (.odt, zip + lxml)."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from datetime import datetime

from archive.formats.containers import check_zip, read_zip_member
from archive.formats.epub import read_epub
from archive.formats.model import Context, Part
from archive.formats.textutil import safe_xml, squeeze

logger = logging.getLogger(__name__)

_ODF = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_T = "{%s}" % _ODF["text"]
_TABLE = "{%s}table" % _ODF["table"]
_ROW = "{%s}table-row" % _ODF["table"]
_CELL = "{%s}table-cell" % _ODF["table"]
_SKIP = {_T + "note", _T + "tracked-changes", _T + "sequence-decls", "{%s}annotation" % _ODF["office"]}

__all__ = ["read_docx", "read_epub", "read_odt"]


def read_docx(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield a Word file as one part: headings, paragraphs and tables in reading order."""
    import docx
    from docx.table import Table

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        problem = check_zip(z, ctx)
        if problem:
            yield Part(error=problem, format="docx")
            return
    document = docx.Document(io.BytesIO(data))
    blocks, headings = [], []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.append(_docx_table(item))
            continue
        text = squeeze(item.text)
        style = (item.style.name if item.style is not None else "") or ""
        if text and style.startswith(("Heading", "Title")):
            headings.append(text)
        blocks.append(text)
    props = document.core_properties
    meta = {"author": props.author or props.last_modified_by or "", "language": props.language or "",
            "date": _iso(props.created), "modified": _iso(props.modified), "headings": headings}
    title = squeeze(props.title or "") or (headings[0] if headings else "")
    yield _prepared(title, blocks, meta, "docx")


def _docx_table(table) -> str:
    """Return a table as lines of cells separated by ' | ', merged cells once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(squeeze(cell.text.replace("\n", " ")))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def read_odt(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield an OpenDocument text file as one part: headings, paragraphs, lists and tables in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        problem = check_zip(z, ctx)
        if problem:
            yield Part(error=problem, format="odt")
            return
        content = safe_xml(read_zip_member(z, z.getinfo("content.xml"), ctx))
        names = set(z.namelist())
        meta_xml = safe_xml(read_zip_member(z, z.getinfo("meta.xml"), ctx)) if "meta.xml" in names else None
    body = content.find("office:body/office:text", _ODF)
    if body is None:
        yield Part(error="OpenDocument file without a text body", format="odt")
        return
    blocks, headings = [], []
    for tag, text in _odt_blocks(body):
        if tag == "h" and text:
            headings.append(text)
        blocks.append(text)
    meta = _odt_meta(meta_xml)
    meta["headings"] = headings
    title = meta.pop("title", "") or (headings[0] if headings else "")
    yield _prepared(title, blocks, meta, "odt")


def _odt_blocks(element) -> Iterator[tuple[str, str]]:
    """Yield (kind, text) for each heading, paragraph and table under an element, in document order."""
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _SKIP:
            continue
        if tag in (_T + "p", _T + "h"):
            yield tag[len(_T):], squeeze(_odt_text(child))
        elif tag == _TABLE:
            rows = [" | ".join(squeeze(_odt_text(c)) for c in row.iter(_CELL)) for row in child.iter(_ROW)]
            yield "table", "\n".join(r for r in rows if r.strip(" |"))
        else:
            yield from _odt_blocks(child)


def _odt_text(element) -> str:
    """Return the text of a paragraph: spans followed, <text:s/> and tabs as spaces, notes left out."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == _T + "s":
            parts.append(" " * int(child.get(_T + "c", "1")))
        elif tag in (_T + "tab", _T + "line-break"):
            parts.append(" ")
        elif tag not in _SKIP:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_meta(root) -> dict:
    """Return title, author, date and language from meta.xml."""
    if root is None:
        return {}

    def get(path: str) -> str:
        found = root.find(f"office:meta/{path}", _ODF)
        return squeeze(found.text or "") if found is not None else ""

    return {"title": get("dc:title"), "author": get("dc:creator") or get("meta:initial-creator"),
            "date": get("meta:creation-date")[:10], "modified": get("dc:date")[:10],
            "language": get("dc:language")}


def _prepared(title: str, blocks: list[str], meta: dict, fmt: str) -> Part:
    """Return a prepared part from text blocks; an empty document is skipped, not failed."""
    text = "\n\n".join(b for b in blocks if b.strip())
    meta = {k: v for k, v in meta.items() if v}
    if not text and not title:
        return Part(skipped="empty document", meta=meta, format=fmt)
    return Part(title=title, text=text, meta=meta, format=fmt)


def _iso(value: datetime | None) -> str:
    """Return a date as YYYY-MM-DD, or ''."""
    return value.date().isoformat() if value else ""

