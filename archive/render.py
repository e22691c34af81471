"""Show matches: text and its match spans as marked HTML, or as highlighted terminal text.

These are the only places spans turn into markup. HTML escapes everything and wraps each span
in `<mark>`; the terminal shows each span in reverse video (or between `[[` and `]]` when the
output is not a terminal), with control characters written as visible escapes.
"""

from __future__ import annotations

from bisect import bisect_right
from html import escape

from archive.printable import printable
from archive.spans import Snippet, Span


def html(text: str, spans: list[Span], start: int = 0, end: int | None = None, anchor: str = "") -> str:
    """Return text[start:end] as HTML with each span inside it wrapped in <mark>.

    `spans` are sorted and disjoint (as `archive.highlight.merge_spans` returns them); a span cut
    by the piece's edges is marked where it overlaps. With `anchor`, the part holding the start
    of span number N (counted from 1 over all `spans`) carries `id="{anchor}-N"`.
    """
    end = len(text) if end is None else end
    parts, pos = [], start
    # Skip straight to the first span that ends inside this piece, so marking a long text piece
    # by piece (the document view's paragraphs) stays linear in its spans.
    first = bisect_right(spans, start, key=lambda sp: sp[1])
    for number, (s, e) in enumerate(spans[first:], start=first + 1):
        if s >= end:
            break
        s2, e2 = max(s, start), min(e, end)
        if s2 >= e2:
            continue
        parts.append(escape(text[pos:s2]))
        attr = f' id="{anchor}-{number}"' if anchor and s2 == s else ""
        parts.append(f"<mark{attr}>{escape(text[s2:e2])}</mark>")
        pos = e2
    parts.append(escape(text[pos:end]))
    return "".join(parts)


def snippet_html(snippet: Snippet) -> str:
    """Return a snippet as HTML: everything escaped, matches wrapped in <mark>."""
    return html(snippet.text, snippet.spans)


def terminal(snippet: Snippet, tty: bool) -> str:
    """Return a snippet as one line of terminal text: matches in reverse video on a terminal, [[...]] otherwise."""
    on, off = ("\x1b[7m", "\x1b[0m") if tty else ("[[", "]]")
    parts, pos = [], 0
    for s, e in snippet.spans:
        parts += [printable(snippet.text[pos:s]), on, printable(snippet.text[s:e]), off]
        pos = e
    parts.append(printable(snippet.text[pos:]))
    return "".join(parts)
