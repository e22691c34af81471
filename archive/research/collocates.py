"""Collocations: the words found near a query's matches more often than chance, scored by log-likelihood.

Every distinct result of the query (filters included) is read, not a sample. In each text the
matches are the highlighter's marks (as in the concordance); the window of a match is the
`window` words to its left and to its right (the words of matches themselves are not counted,
and a word in the windows of two matches counts once). Words are the index's folded words
(case and accents folded, a possessive counted as its plain word).

For each word `w`, a 2x2 table compares the windows with the rest of the same texts:

    a = w in the windows        b = other words in the windows
    c = w outside the windows   d = other words outside the windows

Chance is the word's share of all the words of the matching texts: expected `E = (a+b)(a+c)/N`.
The score is Dunning's log-likelihood, G² = 2 Σ O ln(O/E) over the four cells; only words seen
more often than expected (a > E) are collocates. G² above 3.84 is significant at p < 0.05,
above 10.83 at p < 0.001 (one degree of freedom). Stop words are left out unless asked for.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import asdict, dataclass, field

from archive.archive import Archive
from archive.highlight import merge_spans
from archive.query.filters import NO_FILTERS, Filters
from archive.query.words import fold, pieces, plain
from archive.research.stopwords import STOP_WORDS
from archive.spans import Span

WINDOW = 5
MAX_WINDOW = 20
LIMIT = 50
MIN_COUNT = 3  # a word seen fewer times near the matches is not scored


@dataclass(frozen=True)
class Collocate:
    """A word near the matches: its score, how often it is in the windows, and in the texts overall."""

    word: str
    score: float  # log-likelihood G²
    count: int  # occurrences in the windows
    in_texts: int  # occurrences anywhere in the matching texts (outside matches)


@dataclass
class Collocation:
    """The collocates of a query over its whole result set, with the totals they were scored on."""

    query: str
    window: int
    documents: int = 0  # distinct texts matched
    matches: int = 0  # merged match spans in those texts
    window_words: int = 0  # word positions inside windows
    text_words: int = 0  # word positions in the matching texts, matches left out
    collocates: list[Collocate] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the collocation as JSON: totals and `collocates` as word, score, count, in_texts."""
        out = asdict(self)
        out["collocates"] = [{**asdict(c), "score": round(c.score, 3)} for c in self.collocates]
        return out


def text_words(text: str) -> list[tuple[str, int, int]]:
    """Return (word, start, end) of each word of a text: folded, a possessive as its plain word."""
    out = []
    for raw, start, end in pieces(text):
        word = fold(raw)
        out.append((plain(word) or word, start, end))
    return out


def windows(words: list[tuple[str, int, int]], spans: list[Span], window: int) -> tuple[set[int], set[int]]:
    """Return the positions of the words inside matches, and of those within `window` words of a match."""
    starts = [s for _, s, _ in words]
    ends = [e for _, _, e in words]
    hits: set[int] = set()
    near: set[int] = set()
    for start, end in merge_spans(spans):
        first = bisect_right(ends, start)  # the first word ending after the match starts
        last = bisect_left(starts, end) - 1  # the last word starting before it ends
        if last < first:
            continue
        hits.update(range(first, last + 1))
        near.update(range(max(0, first - window), first))
        near.update(range(last + 1, min(len(words), last + 1 + window)))
    return hits, near - hits


def g2(a: int, b: int, c: int, d: int) -> float:
    """Return Dunning's log-likelihood G² of a 2x2 table of counts."""
    n = a + b + c + d
    rows, cols = (a + b, c + d), (a + c, b + d)
    total = 0.0
    for observed, r, k in ((a, 0, 0), (b, 0, 1), (c, 1, 0), (d, 1, 1)):
        if observed:
            total += observed * math.log(observed * n / (rows[r] * cols[k]))
    return 2 * total


def collocates(archive: Archive, query: str, *, filters: Filters = NO_FILTERS, window: int = WINDOW,
               limit: int = LIMIT, min_count: int = MIN_COUNT, keep_stop_words: bool = False,
               aliases: bool = True) -> Collocation:
    """Return the words that occur within `window` words of the query's matches more than chance.

    `keep_stop_words` keeps the words of `STOP_WORDS`, which are left out by default.
    """
    window = max(1, min(window, MAX_WINDOW))
    out = Collocation(query, window)
    near_counts: Counter[str] = Counter()
    text_counts: Counter[str] = Counter()
    for doc, spans in archive.occurrences(query, filters=filters, aliases=aliases):
        words = text_words(doc.text)
        hits, near = windows(words, spans, window)
        out.documents += 1
        out.matches += len(merge_spans(spans))
        near_counts.update(words[i][0] for i in near)
        text_counts.update(w for i, (w, _, _) in enumerate(words) if i not in hits)
        out.window_words += len(near)
        out.text_words += len(words) - len(hits)
    out.collocates = _scored(near_counts, text_counts, out, min_count, keep_stop_words)[:max(0, limit)]
    return out


def _scored(near: Counter[str], texts: Counter[str], totals: Collocation, min_count: int,
            keep_stop_words: bool) -> list[Collocate]:
    """Return the words seen more often near the matches than chance, best score first."""
    w, n = totals.window_words, totals.text_words
    found = []
    for word, a in near.items():
        if a < min_count or (not keep_stop_words and word in STOP_WORDS) or not any(ch.isalpha() for ch in word):
            continue
        in_texts = texts[word]
        if a * n <= w * in_texts:  # not more often than chance
            continue
        found.append(Collocate(word, g2(a, w - a, in_texts - a, n - w - in_texts + a), a, in_texts))
    found.sort(key=lambda c: (-c.score, -c.count, c.word))
    return found
