"""Choose what to show of a text's matches: merged spans, and the densest passages as snippets.

The same merging serves snippets, the document view and occurrence counts (DESIGN.md §5), so
what is counted is what is marked. No length limit: a hit at character 200,000 is marked like
the first. The output is plain text with spans (`archive.spans`); `archive/render.py` shows it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from archive.spans import Snippet, Span

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


def snippets(text: str, spans: list[Span], count: int = 3, width: int = SNIPPET_CHARS) -> list[Snippet]:
    """Return up to `count` snippets from the densest passages, in text order.

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


def _window(text: str, lo: int, width: int, spans: list[Span], ends: list[int] | None = None) -> Snippet:
    """Return the passage starting at `lo`; `spans` are merged and sorted (`ends`: their ends)."""
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
    head = "…" if lo > 0 else ""
    shift = len(head) - lo  # from offsets in the text to offsets in the snippet
    inside = [(max(s, lo) + shift, min(e, hi) + shift) for s, e in near if max(s, lo) < min(e, hi)]
    body = text[lo:hi].replace("\n", " ")
    return Snippet(head + body + ("…" if hi < len(text) else ""), inside)


def count_occurrences(spans: list[Span]) -> int:
    """Return the number of marked passages."""
    return len(merge_spans(spans))
