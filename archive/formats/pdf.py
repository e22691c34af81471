"""Read a PDF with PDFium (pypdfium2): text per page, paragraphs from line geometry, running heads removed.

pypdfium2 was chosen over pdfminer.six after measuring both on the same generated files
(docs/formats.md): the same text, 7-12 times faster, and it renders pages for OCR too.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import pypdfium2 as pdfium

from archive.documents import Removed
from archive.formats.model import Context, Part
from archive.formats.textutil import join_lines

logger = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—(]?\s*#\s*[-–—)]?(\s*(of|/)\s*#)?$")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?")
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running heads
_OCR_DPI = 300
_PLACEHOLDERS = {"untitled", "anonymous", "unspecified", "unknown"}  # what PDF writers fill in by default


class OcrUnavailable(Exception):
    """OCR was asked for but cannot run here; the message says what is missing."""


@dataclass
class Line:
    """One line of text on a page and its box (PDF points, y grows upwards)."""

    text: str
    top: float
    bottom: float
    left: float
    right: float = 0.0

    @property
    def height(self) -> float:
        """Return the line's height."""
        return self.top - self.bottom


def read_pdf(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield one part: the PDF's text, page offsets in meta, running heads in `removed`."""
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            yield Part(error="password-protected PDF", format="pdf")
        else:
            yield Part(error=f"corrupt PDF: {exc}", format="pdf")
        return
    try:
        meta = _metadata(doc)
        pages = [_page_lines(doc, i) for i in range(len(doc))]
        problem = _fill_blank_pages(doc, pages, meta, ctx.ocr)
    finally:
        doc.close()
    if not any(pages):
        yield Part(error=problem or "no text on any page", meta=meta, format="pdf")
        return
    yield _assemble(pages, meta)


def _fill_blank_pages(doc: pdfium.PdfDocument, pages: list[list[Line]], meta: dict, ocr: str) -> str:
    """OCR the pages without a text layer when OCR is on; return what went wrong, or ''."""
    blank = [i for i, lines in enumerate(pages) if not lines]
    if not blank:
        return ""
    if not ocr:
        meta["pages_without_text"] = blank
        return "no text layer (scanned?); OCR is off"
    meta["ocr"], meta["ocr_pages"] = ocr, blank
    try:
        for i in blank:
            pages[i] = _ocr_page(doc, i, ocr)
    except OcrUnavailable as exc:
        meta["ocr_error"] = str(exc)
        return f"no text layer, and OCR is unavailable: {exc}"
    return "no text layer, and OCR found no text"


def _metadata(doc: pdfium.PdfDocument) -> dict:
    """Return title, author and creation date from the document information dictionary."""
    info = doc.get_metadata_dict(skip_empty=True)
    meta: dict = {"pages_count": len(doc)}
    for key, ours in (("Title", "title"), ("Author", "author"), ("Subject", "subject")):
        if info.get(key) and info[key].strip().lower() not in _PLACEHOLDERS:
            meta[ours] = info[key].strip()
    m = _PDF_DATE.match(info.get("CreationDate", ""))
    if m:
        meta["date"] = "-".join(g for g in (m.group(1), m.group(2), m.group(3)) if g)
    return meta


def _page_lines(doc: pdfium.PdfDocument, index: int) -> list[Line]:
    """Return the text lines of one page, in the order PDFium gives them, pieces of a line merged."""
    page = doc[index]
    textpage = page.get_textpage()
    try:
        lines: list[Line] = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = textpage.get_text_bounded(left, bottom, right, top).replace("\r\n", " ").strip()
            if not text:
                continue
            prev = lines[-1] if lines else None
            if prev and left >= prev.left and _same_line(prev, top, bottom):
                gap = " " if left - prev.right > 0.25 * max(top - bottom, 1) else ""  # a space is ~⅓ em
                prev.text, prev.right = f"{prev.text}{gap}{text}", right
                prev.top, prev.bottom = max(prev.top, top), min(prev.bottom, bottom)
            else:
                lines.append(Line(text, top, bottom, left, right))
        return lines
    finally:
        textpage.close()
        page.close()


def _same_line(prev: Line, top: float, bottom: float) -> bool:
    """True when a box's vertical centre lies within the previous line's box (a bullet, a comma)."""
    centre = (top + bottom) / 2
    return prev.bottom - 1 <= centre <= prev.top + 1 or abs((prev.top + prev.bottom) / 2 - centre) < 0.3 * prev.height


def _ocr_page(doc: pdfium.PdfDocument, index: int, languages: str) -> list[Line]:
    """Render one page and read it with tesseract; return its lines (no geometry: one per text line)."""
    try:
        import pytesseract  # the optional extra "ocr"
    except ImportError as exc:
        raise OcrUnavailable("pytesseract is not installed (pip install '.[ocr]')") from exc
    page = doc[index]
    try:
        bitmap = page.render(scale=_OCR_DPI / 72)
        image = bitmap.to_pil()
        bitmap.close()
    finally:
        page.close()
    try:
        text = pytesseract.image_to_string(image, lang=languages)
        if not text.strip():  # automatic layout finds no text block on a page of one short line
            text = pytesseract.image_to_string(image, lang=languages, config="--psm 6")
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailable("tesseract is not installed (apt-get install tesseract-ocr)") from exc
    except pytesseract.TesseractError as exc:  # most often: the language's data is not installed
        raise OcrUnavailable(f"tesseract failed: {exc.message.strip()[:200]}") from exc
    lines, y = [], 0.0
    for raw in text.splitlines():
        y -= 2.0 if not raw.strip() else 1.0  # a blank line becomes a wider gap: a paragraph break
        if raw.strip():
            lines.append(Line(raw.strip(), y + 1.0, y, 0.0))
    return lines


def _running_lines(pages: list[list[Line]]) -> dict[tuple[int, int], str]:
    """Find lines at a page's top or bottom that repeat (digits aside) on most pages; map them to reasons."""
    if len(pages) < 2:
        return {}
    edges: list[dict[int, tuple[str, str]]] = []
    counts: Counter[str] = Counter()
    for lines in pages:
        by_height = sorted(range(len(lines)), key=lambda i: -lines[i].top)
        found = {i: (_key(lines[i].text), "header") for i in by_height[:_EDGE_LINES]}
        found.update({i: (_key(lines[i].text), "footer") for i in by_height[-_EDGE_LINES:] if i not in found})
        edges.append(found)
        counts.update({key for key, _ in found.values() if key})
    # Most pages, or three: running heads often change with each chapter ("Chapter 2: ...").
    need = max(2, min(3, -(-len(pages) * 6 // 10)))
    out = {}
    for p, found in enumerate(edges):
        for i, (key, where) in found.items():
            if key and counts[key] >= need:
                what = "page number" if _PAGE_NUMBER.match(key) else f"running {where}"
                out[(p, i)] = f"{what} repeated on {counts[key]} of {len(pages)} pages"
    return out


def _key(text: str) -> str:
    """Normalise a line for comparison across pages: case, spacing, and any number as '#'."""
    return _DIGITS.sub("#", " ".join(text.lower().split()))


def _assemble(pages: list[list[Line]], meta: dict) -> Part:
    """Join pages into one text of paragraphs; record page offsets and the removed running lines."""
    running = _running_lines(pages)
    text, raw_at, offsets, removed = "", 0, [], []
    for p, lines in enumerate(pages):
        kept: list[Line] = []
        heads: list[Removed] = []  # removed before the page's first kept line: they stand at its start
        feet: list[Removed] = []
        for i, line in enumerate(lines):
            reason = running.get((p, i))
            if reason:
                (feet if kept else heads).append(Removed(line.text, reason, start=raw_at))
            else:
                kept.append(line)
            raw_at += len(line.text) + 1
        raw_at += 1
        body = "\n\n".join(_paragraphs(kept))
        if text and body:
            text += "\n\n"
        offsets.append(len(text))  # an empty page gets the offset where the text stands
        for r in heads:
            r.at = len(text)
        text += body
        for r in feet:
            r.at = len(text)
        removed += heads + feet
    if not text.strip():
        return Part(error="no text left once running headers and footers were removed", meta=meta, format="pdf")
    meta["pages"] = offsets
    return Part(title=meta.get("title", ""), text=text, meta=meta, removed=removed, format="pdf")


def _paragraphs(lines: list[Line]) -> list[str]:
    """Group lines into paragraphs: a gap wider than the usual line pitch, or a jump up, starts one."""
    if not lines:
        return []
    steps = [a.bottom - b.bottom for a, b in pairwise(lines) if a.bottom > b.bottom]
    pitch = statistics.median(steps) if steps else 0.0
    groups, current = [], [lines[0]]
    for prev, line in pairwise(lines):
        step = prev.bottom - line.bottom
        size_change = abs(line.height - prev.height) > 0.3 * max(prev.height, 1)
        if step <= 0 or (pitch and step > 1.4 * pitch) or size_change:
            groups.append(current)
            current = []
        current.append(line)
    groups.append(current)
    return [join_lines([ln.text for ln in g]) for g in groups]
