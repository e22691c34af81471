"""The document view's body: paragraphs with numbered hits, and removed boilerplate in place.

`Archive.marked` returns the text as escaped HTML with each match in `<mark>` (DESIGN.md §5).
That HTML is read back into (text, spans), so the page can number every hit (`id="hit-N"`, the
anchors the navigator jumps to), split paragraphs, and put each removed block where it stood (its
`at` offset in the cleaned text) without a second highlighter.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape

from markupsafe import Markup

from archive.documents import Removed

Span = tuple[int, int]
_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)


@dataclass
class Block:
    """One piece of the body: a paragraph of text (HTML) or a removed block."""

    html: Markup | None = None
    removed: Removed | None = None
    page: int | None = None  # set on the first paragraph of each page of a paged document (PDF)


def unmark(marked_html: str) -> tuple[str, list[Span]]:
    """Return the plain text of marked-up HTML and the character spans that were marked."""
    text_parts: list[str] = []
    spans: list[Span] = []
    pos, length = 0, 0
    for m in _MARK.finditer(marked_html):
        before = unescape(marked_html[pos : m.start()])
        inside = unescape(m.group(1))
        text_parts += [before, inside]
        length += len(before)
        spans.append((length, length + len(inside)))
        length += len(inside)
        pos = m.end()
    text_parts.append(unescape(marked_html[pos:]))
    return "".join(text_parts), spans


def paragraphs(text: str) -> list[Span]:
    """Return the (start, end) of each paragraph: runs of text between blank lines."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def render(text: str, spans: list[Span], removed: list[Removed], show_removed: bool,
           pages: Sequence[int] = ()) -> tuple[list[Block], list[Removed]]:
    """Return the body as blocks, and the removed blocks whose place is unknown (for the end).

    Hits are numbered from 1 in text order; a hit that crosses a paragraph break keeps its
    number on its first part only. Removed blocks are placed only when `show_removed` is set.
    """
    placed = sorted((r for r in removed if r.at >= 0), key=lambda r: r.at) if show_removed else []
    unplaced = [r for r in removed if r.at < 0 or r.at > len(text)] if show_removed else []
    placed = [r for r in placed if r.at <= len(text)]
    blocks: list[Block] = []
    page = 0
    for start, end in paragraphs(text):
        if pages and bisect.bisect_right(pages, start) != page:
            page = bisect.bisect_right(pages, start)
            blocks.append(Block(page=page))
        while placed and placed[0].at <= start:
            blocks.append(Block(removed=placed.pop(0)))
        cut = start
        while placed and placed[0].at < end:
            block = placed.pop(0)
            blocks.append(Block(html=_marked(text, spans, cut, block.at)))
            blocks.append(Block(removed=block))
            cut = block.at
        blocks.append(Block(html=_marked(text, spans, cut, end)))
    blocks += [Block(removed=r) for r in placed]
    return [b for b in blocks if b.removed or b.page or (b.html and b.html.strip())], unplaced


def _marked(text: str, spans: list[Span], start: int, end: int) -> Markup:
    """Return text[start:end] as HTML with spans marked; a hit's first part carries its anchor."""
    parts, pos = [], start
    # Spans are sorted and disjoint: skip straight to the first one that ends inside this piece,
    # so a long report with thousands of hits and paragraphs stays linear.
    first = bisect.bisect_right(spans, start, key=lambda sp: sp[1])
    for number, (s, e) in enumerate(spans[first:], start=first + 1):
        if s >= end:
            break
        s2, e2 = max(s, start), min(e, end)
        if s2 >= e2:
            continue
        parts.append(escape(text[pos:s2]))
        anchor = f' id="hit-{number}"' if s2 == s else ""
        parts.append(f"<mark{anchor}>{escape(text[s2:e2])}</mark>")
        pos = e2
    parts.append(escape(text[pos:end]))
    return Markup("".join(parts))
