"""Turn text and match spans into safe HTML: escape everything, wrap each span in <mark>.

One function serves snippets, the document view and occurrence counts (DESIGN.md §5), so what is
counted is what is marked. No length limit: a hit at character 200,000 is marked like the first.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from html import escape

Span = tuple[int, int]
SNIPPET_CHARS = 240
# Snippets are chosen among the first this many marked passages of a text: a report with
# 100,000 hits costs what one with 2,000 does, and its snippets come from its first hits.
MAX_SNIPPET_SPANS = 2000
# The document view and the concordance mark at most about this many matches of one text.
MAX_MARKS = 20_000


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sort spans and merge those that overlap or touch."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def mark(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """Return text[start:end] as HTML with each span inside it wrapped in <mark>."""
    end = len(text) if end is None else end
    parts, pos = [], start
    for s, e in merge_spans(spans):
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        parts.append(escape(text[pos:s]))
        parts.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    parts.append(escape(text[pos:end]))
    return "".join(parts)


def snippets(text: str, spans: list[Span], count: int = 3, width: int = SNIPPET_CHARS) -> list[str]:
    """Return up to `count` HTML snippets from the densest passages, in text order.

    A passage is a window of `width` characters starting near a span; windows are ranked by how
    many spans they hold and do not overlap. With no spans, the opening of the text is returned.
    The work is linear in the spans (at most `MAX_SNIPPET_SPANS` of them are looked at).
    """
    spans = merge_spans(spans)[:MAX_SNIPPET_SPANS]
    if not spans:
        return [_window(text, 0, width, [])] if text else []
    ends = [e for _, e in spans]  # merged spans do not overlap: their ends are sorted too
    windows = []
    for i, (s, _) in enumerate(spans):
        lo = _word_start(text, max(0, s - width // 4))
        inside = max(1, bisect_right(ends, lo + width, i) - i)
        windows.append((inside, -lo, lo))
    chosen: list[int] = []
    for _, _, lo in sorted(windows, reverse=True):
        if all(abs(lo - c) >= width for c in chosen):
            chosen.append(lo)
        if len(chosen) == count:
            break
    return [_window(text, lo, width, spans, ends) for lo in sorted(chosen)]


def _word_start(text: str, pos: int) -> int:
    if pos == 0:
        return 0
    space = text.rfind(" ", max(0, pos - 20), pos)
    return space + 1 if space >= 0 else pos


def _window(text: str, lo: int, width: int, spans: list[Span], ends: list[int] | None = None) -> str:
    """Return the HTML of the passage starting at `lo`; `spans` are merged and sorted (`ends`: their ends)."""
    ends = [e for _, e in spans] if ends is None else ends
    hi = min(len(text), lo + width)
    near = spans[bisect_left(ends, lo): bisect_right(ends, hi) + 1]  # the spans the window touches
    # Extend to finish a span cut by the window's edge, then to the end of a word.
    for s, e in near:
        if s < hi < e:
            hi = e
    if hi < len(text):
        space = text.find(" ", hi, hi + 20)
        hi = space if space >= 0 else hi
    near = spans[bisect_left(ends, lo): bisect_right(ends, hi) + 1]
    body = mark(text, near, lo, hi).replace("\n", " ")
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


def count_occurrences(spans: list[Span]) -> int:
    """Return the number of marked passages."""
    return len(merge_spans(spans))
