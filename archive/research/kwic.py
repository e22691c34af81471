"""Concordance (keyword in context): every occurrence of a query's matches, with words either side.

Occurrences are the highlighter's marks: the match spans of each result's text, merged by
`archive.highlight.merge_spans` as for the document view, so a document's occurrences are its
numbered hits there. Results are read one document at a time, so a streamed export of
every occurrence holds one text in memory.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

from archive.archive import Archive
from archive.highlight import MAX_MARKS, merge_spans
from archive.printable import printable

CONTEXT_WORDS = 8
MAX_CONTEXT_WORDS = 50
ORDERS = ("document", "left", "right", "hit")
COLUMNS = ["doc_id", "title", "source", "date", "number", "position", "left", "hit", "right"]  # CSV export
_CHARS_PER_WORD = 40  # how far to look for N words (long words and URLs included)
_WORD = re.compile(r"\S+")
_PUNCT = "\"'“”‘’«»()[]{}.,;:!?-–—…"


@dataclass
class Occurrence:
    """One match in one document, with its left and right context."""

    doc_id: str
    title: str
    source: str
    date: str
    number: int  # 1 for the first occurrence in the document
    position: int  # character offset of the match in the document's text
    left: str
    hit: str
    right: str

    def to_dict(self) -> dict:
        """Return the occurrence as a row for CSV or JSON Lines."""
        return asdict(self)


@dataclass
class Totals:
    """How many occurrences, and in how many documents, a concordance holds."""

    documents: int = 0  # results of the query (distinct texts)
    documents_with_occurrences: int = 0  # results with at least one match in their text
    occurrences: int = 0
    complete: bool = True  # False when a time budget stopped the count


@dataclass
class Concordance:
    """A page of occurrences, sorted, with totals over the whole result set."""

    lines: list[Occurrence] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    kept_all: bool = True  # False when only the first `keep` occurrences were kept for sorting


def occurrences(archive: Archive, query: str, *, context: int = CONTEXT_WORDS, sort: str = "relevance",
                aliases: bool = True, totals: Totals | None = None) -> Iterator[Occurrence]:
    """Yield every occurrence of a query's matches, document by document, in result order.

    `totals`, when given, is updated as documents go by (for a summary after streaming).
    """
    context = max(0, min(context, MAX_CONTEXT_WORDS))
    for doc, spans in archive.occurrences(query, sort=sort, aliases=aliases):
        merged = merge_spans(spans)
        if totals is not None:
            totals.documents += 1
            totals.occurrences += len(merged)
            totals.documents_with_occurrences += bool(merged)
            if len(spans) >= MAX_MARKS:  # a very long text: only its first matches were looked for
                totals.complete = False
        for n, (s, e) in enumerate(merged, 1):
            yield Occurrence(doc.id, doc.title, doc.source, doc.date, n, s,
                             _left(doc.text, s, context), _flat(doc.text[s:e]).strip(), _right(doc.text, e, context))


def collect(stream: Iterable[Occurrence], totals: Totals, *, keep: int = 5000, order: str = "document",
            time_budget: float = 10.0) -> Concordance:
    """Keep the first `keep` occurrences (sorted by `order`) while counting all of them.

    The count stops after `time_budget` seconds; the totals then say it is incomplete.
    """
    deadline = time.monotonic() + time_budget
    lines: list[Occurrence] = []
    kept_all = True
    for occ in stream:
        if len(lines) < keep:
            lines.append(occ)
        else:
            kept_all = False
        if time.monotonic() > deadline:
            totals.complete = False
            break
    return Concordance(sort_lines(lines, order), totals, kept_all)


def sort_lines(lines: list[Occurrence], order: str) -> list[Occurrence]:
    """Sort occurrences by the words to the left (nearest first), to the right, by hit, or as found."""
    if order == "left":
        return sorted(lines, key=lambda o: (_words(o.left)[::-1], o.hit.casefold()))
    if order == "right":
        return sorted(lines, key=lambda o: (_words(o.right), o.hit.casefold()))
    if order == "hit":
        return sorted(lines, key=lambda o: (o.hit.casefold(), _words(o.right)))
    return lines


def format_text(lines: Iterable[Occurrence], width: int = 50) -> Iterator[str]:
    """Yield aligned text lines: left context right-aligned in `width` characters, the hit, the right."""
    for o in lines:
        left = o.left[-width:] if len(o.left) > width else o.left
        right = o.right[:width]
        meta = f"{o.date or 'no date':10}  {o.doc_id + '@' + str(o.position):<24}"
        yield printable(f"{meta}  {left:>{width}}[{o.hit}]{right:<{width}}  {o.title[:40]}")


def _words(text: str) -> list[str]:
    """Return the words of a context as sort keys: case-folded, punctuation at their edges ignored."""
    return [w for w in (t.strip(_PUNCT).casefold() for t in text.split()) if w]


def _flat(text: str) -> str:
    """Collapse runs of white space (line breaks included) to one space, keeping one at either end."""
    return re.sub(r"\s+", " ", text)


def _left(text: str, start: int, n: int) -> str:
    """Return the n words before `start` (a trailing space when the hit is a separate word)."""
    if n == 0:
        return ""
    lo = max(0, start - n * _CHARS_PER_WORD)
    words = list(_WORD.finditer(text, lo, start))
    if lo > 0 and words and words[0].start() == lo and not text[lo - 1].isspace():
        words = words[1:]  # the window cut a word: drop its tail
    return _flat(text[words[-n:][0].start():start]).lstrip() if words else ""


def _right(text: str, end: int, n: int) -> str:
    """Return the n words after `end` (a leading space when the hit is a separate word)."""
    if n == 0:
        return ""
    hi = min(len(text), end + n * _CHARS_PER_WORD)
    words = list(_WORD.finditer(text, end, hi))
    if hi < len(text) and words and words[-1].end() == hi and not text[hi].isspace():
        words = words[:-1]
    return _flat(text[end:words[:n][-1].end()]).rstrip() if words else ""
