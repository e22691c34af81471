"""Matches as data: character spans into a text, for snippets and for a whole document.

The engines find where a query matches and hand over plain text with spans; what the spans look
like on screen is the renderers' business (`archive/render.py`): HTML for the web and the JSON
API, highlighted text for the terminal, nothing at all for exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]  # (start, end) character offsets, half-open


@dataclass
class Snippet:
    """A passage of a result's text: plain text ("…" where it was cut) and its matches.

    `spans` are sorted, do not overlap or touch, and index into `text`.
    """

    text: str
    spans: list[Span] = field(default_factory=list)


@dataclass
class Marks:
    """Every match of a query in one document's title and text (sorted, merged spans).

    `count` is the number of matches the engine found, before overlapping ones were merged.
    """

    title_spans: list[Span] = field(default_factory=list)
    text_spans: list[Span] = field(default_factory=list)
    count: int = 0
