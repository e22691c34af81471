"""The document view's body: paragraphs with numbered hits, and removed boilerplate in place.

`Archive.matches` gives the spans of the query's matches in the text (DESIGN.md §5). The page
numbers every hit (`id="hit-N"`, the anchors the navigator jumps to), splits paragraphs, and
puts each removed block where it stood (its `at` offset in the cleaned text).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from archive.documents import Removed
from archive.spans import Span
from web.marks import marked

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)


@dataclass
class Block:
    """One piece of the body: a paragraph of text (HTML) or a removed block."""

    html: Markup | None = None
    removed: Removed | None = None
    page: int | None = None  # set on the first paragraph of each page of a paged document (PDF)


def paragraphs(text: str) -> list[Span]:
    """Return the (start, end) of each paragraph: runs of text between blank lines."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def render(text: str, spans: list[Span], removed: list[Removed], show_removed: bool,
           pages: Sequence[int] = ()) -> tuple[list[Block], list[Removed]]:
    """Return the body as blocks, and the removed blocks whose place is unknown (for the end).

    `spans` are sorted and disjoint. Hits are numbered from 1 in text order; a hit that crosses
    a paragraph break keeps its number on its first part only. Removed blocks are placed only
    when `show_removed` is set.
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
            blocks.append(Block(html=marked(text, spans, cut, block.at, anchor="hit")))
            blocks.append(Block(removed=block))
            cut = block.at
        blocks.append(Block(html=marked(text, spans, cut, end, anchor="hit")))
    blocks += [Block(removed=r) for r in placed]
    return [b for b in blocks if b.removed or b.page or (b.html and b.html.strip())], unplaced

