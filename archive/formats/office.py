"""Read word-processor files, Word (.docx) and OpenDocument text (.odt), as zip + lxml.

python-docx took 45-70 ms a file here (it parses every part and resolves styles through
xpath); reading document.xml, styles.xml and core.xml with lxml takes a few (docs/formats.md).
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator

from lxml import etree

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
_T = "{{{}}}".format(_ODF["text"])
_TABLE = "{{{}}}table".format(_ODF["table"])
_ROW = "{{{}}}table-row".format(_ODF["table"])
_CELL = "{{{}}}table-cell".format(_ODF["table"])
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_NS = {"w": _W[1:-1]}
_CORE_NS = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
            "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
_SKIP = {_T + "note", _T + "tracked-changes", _T + "sequence-decls", "{{{}}}annotation".format(_ODF["office"])}

__all__ = ["read_docx", "read_epub", "read_odt"]


def read_docx(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield a Word file as one part: headings, paragraphs and tables in reading order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        problem = check_zip(z, ctx)
        if problem:
            yield Part(error=problem, format="docx")
            return
        names = set(z.namelist())

        def xml(member: str) -> etree._Element | None:
            return safe_xml(read_zip_member(z, z.getinfo(member), ctx)) if member in names else None

        document, styles, core = xml("word/document.xml"), xml("word/styles.xml"), xml("docProps/core.xml")
    body = document.find("w:body", _W_NS) if document is not None else None
    if body is None:
        yield Part(error="Word file without a document body", format="docx")
        return
    heading_ids = _heading_styles(styles)
    blocks, headings = [], []
    for tag, text in _docx_blocks(body, heading_ids):
        if tag == "h" and text:
            headings.append(text)
        blocks.append(text)
    meta = _core_meta(core)
    meta["headings"] = headings
    title = meta.pop("title", "") or (headings[0] if headings else "")
    yield _prepared(title, blocks, meta, "docx")


def _heading_styles(styles: etree._Element | None) -> set[str]:
    """Return the ids of heading and title styles (their names are English in every Word locale)."""
    if styles is None:
        return set()
    out = set()
    for style in styles.iterfind("w:style", _W_NS):
        name = style.find("w:name", _W_NS)
        value = (name.get(_W + "val", "") if name is not None else "").lower()
        if value.startswith("heading") or value == "title":
            out.add(style.get(_W + "styleId", ""))
    return out


def _docx_blocks(element: etree._Element, heading_ids: set[str]) -> Iterator[tuple[str, str]]:
    """Yield (kind, text) for paragraphs and tables in document order, content controls opened."""
    for child in element:
        if child.tag == _W + "p":
            style = child.find("w:pPr/w:pStyle", _W_NS)
            outline = child.find("w:pPr/w:outlineLvl", _W_NS)
            is_heading = (style is not None and style.get(_W + "val") in heading_ids) or outline is not None
            yield ("h" if is_heading else "p"), squeeze(_docx_text(child))
        elif child.tag == _W + "tbl":
            rows = [" | ".join(squeeze(" ".join(_docx_text(p) for p in cell.iter(_W + "p")))
                               for cell in row.iterfind("w:tc", _W_NS)) for row in child.iterfind("w:tr", _W_NS)]
            yield "table", "\n".join(r for r in rows if r.strip(" |"))
        elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            yield from _docx_blocks(child, heading_ids)


def _docx_text(paragraph: etree._Element) -> str:
    """Return a paragraph's text: runs, hyperlinks and insertions; tabs and breaks as spaces."""
    parts = []
    for el in paragraph.iter(_W + "t", _W + "tab", _W + "br", _W + "cr", _W + "noBreakHyphen"):
        if el.tag == _W + "t":
            parts.append(el.text or "")
        else:
            parts.append("-" if el.tag == _W + "noBreakHyphen" else " ")
    return "".join(parts)


def _core_meta(core: etree._Element | None) -> dict:
    """Return title, author, dates and language from docProps/core.xml."""
    if core is None:
        return {}

    def get(tag: str) -> str:
        found = core.find(tag, _CORE_NS)
        return squeeze(found.text or "") if found is not None else ""

    return {"title": get("dc:title"), "author": get("dc:creator") or get("cp:lastModifiedBy"),
            "date": get("dcterms:created")[:10], "modified": get("dcterms:modified")[:10],
            "language": get("dc:language")}


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


def _odt_blocks(element: etree._Element) -> Iterator[tuple[str, str]]:
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


def _odt_text(element: etree._Element) -> str:
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


def _odt_meta(root: etree._Element | None) -> dict:
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
