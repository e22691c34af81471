"""Proximity in either order (`a w/N b`) or in order (`a pre/N b`): the Whoosh query and a fast count.

The query is Whoosh's `SpanNear2` over two sides, each a word, a phrase, or several of these
(`SpanAny`: unlike Whoosh's `SpanOr` it keeps each alternative's span instead of merging
overlapping ones, so every engine path measures from the same spans). Two spans match when
they do not overlap and the gap from the end of the first to the start of the second is 1..N
positions (Whoosh's `distance_to` with `mindist=1`); `pre/N` also needs the left side first.

For totals, `near_docs` finds the same documents with numpy: candidates hold both sides, each
side's occurrences become (document, start, end) keys from the segment's position arrays
(phrases.py), and the gap is checked with two sorted searches per side.
"""

from __future__ import annotations

import time

import numpy as np
from whoosh import query as wq
from whoosh.matching import Matcher
from whoosh.query.spans import Span, SpanNear2, SpanOr
from whoosh.reading import IndexReader
from whoosh.searching import SearchContext, Searcher

from archive.engine.whoosh import arrays, phrases

Words = tuple[str, ...]
_SHIFT = phrases._SHIFT
_EMPTY = np.zeros(0, dtype=np.int64)


class SpanAny(SpanOr):
    """Any of several span queries, keeping every span of each (no merging of overlapping spans)."""

    def estimate_size(self, ixreader: IndexReader) -> int:
        return self.q.estimate_size(ixreader)

    def estimate_min_size(self, ixreader: IndexReader) -> int:
        return self.q.estimate_min_size(ixreader)

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> Matcher:
        from whoosh.matching import NullMatcher
        from whoosh.util import make_binary_tree

        ms = [q.matcher(searcher, context) for q in self.subqs]
        ms = [m for m in ms if m.is_active()]
        if not ms:
            return NullMatcher()
        return make_binary_tree(_AnyMatcher, ms)


class _AnyMatcher(SpanOr.SpanOrMatcher):
    def _get_spans(self) -> list[Span]:
        a, b = self.a.is_active(), self.b.is_active()
        if a and b and self.a.id() == self.b.id():
            return sorted(set(self.a.spans()) | set(self.b.spans()))
        if a and (not b or self.a.id() < self.b.id()):
            return self.a.spans()
        return self.b.spans()


class NearQuery(SpanNear2):
    """Two sides within `slop` positions (the distance), in order when `ordered`; see the module docstring."""

    def sides(self) -> list[list[Words]] | None:
        """Return each side's alternatives as word sequences, or None when a side is of another kind."""
        out = []
        for q in self.qs:
            alts = alternatives(q)
            if alts is None:
                return None
            out.append(alts)
        return out

    def fieldname(self) -> str:
        return _field(self.qs[0])


def near_query(fieldname: str, left: list[Words], right: list[Words], distance: int, ordered: bool) -> wq.Query:
    """Return the Whoosh query for a proximity in one exact field."""
    return NearQuery([_side(fieldname, left), _side(fieldname, right)], slop=distance, ordered=ordered, mindist=1)


def _side(fieldname: str, alts: list[Words]) -> wq.Query:
    parts = [wq.Term(fieldname, a[0]) if len(a) == 1 else wq.Phrase(fieldname, list(a)) for a in alts]
    return parts[0] if len(parts) == 1 else SpanAny(parts)


def alternatives(q: wq.Query) -> list[Words] | None:
    """Return the word sequences of a side (a Term, a Phrase of adjacent words, or a SpanAny of them)."""
    if isinstance(q, wq.Term):
        return [(q.text,)]
    if isinstance(q, wq.Phrase) and q.slop == 1:
        return [tuple(q.words)]
    if isinstance(q, SpanAny):
        out: list[Words] = []
        for c in q.subqs:
            found = alternatives(c)
            if found is None:
                return None
            out += found
        return out
    return None


def _field(q: wq.Query) -> str:
    return q.subqs[0].fieldname if isinstance(q, SpanAny) else q.fieldname


def near_docs(s: Searcher, q: NearQuery, deadline: float) -> np.ndarray:
    """Return the sorted document numbers (deleted ones included) where the proximity holds.

    Raises `phrases.Unsupported` when the query's sides are not words and phrases, and
    `phrases.OutOfTime` when the deadline passes.
    """
    sides = q.sides()
    if sides is None:
        raise phrases.Unsupported
    fieldname = q.fieldname()
    found = []
    for sub, offset in s.leaf_searchers():
        reader = sub.reader()
        docs = [[_docs(s, reader, fieldname, words) for words in alts] for alts in sides]
        either = [_union(d) for d in docs]
        candidates = np.intersect1d(either[0], either[1], assume_unique=True)
        if not len(candidates):
            continue
        kept = arrays.for_reader(arrays.folder_of(s), reader)
        spans = [_spans(s, reader, kept, fieldname, alts, d, candidates, deadline) for alts, d in zip(sides, docs)]
        hits = _joined(spans[0], spans[1], q.slop, q.ordered)
        if len(hits):
            found.append(hits + offset)
    return np.unique(np.concatenate(found)) if found else _EMPTY


def _docs(s: Searcher, reader: IndexReader, fieldname: str, words: Words) -> np.ndarray:
    """Return the segment's documents holding every word of a sequence."""
    if any((fieldname, w) not in reader for w in words):
        return _EMPTY
    out = phrases._ids(s, reader, fieldname, words[0])
    for w in words[1:]:
        out = np.intersect1d(out, phrases._ids(s, reader, fieldname, w), assume_unique=True)
    return out


def _union(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else _EMPTY


def _spans(s: Searcher, reader: IndexReader, kept: arrays.SegmentArrays | None, fieldname: str, alts: list[Words],
           docs: list[np.ndarray], candidates: np.ndarray, deadline: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (start keys, end keys) of every occurrence of a side's alternatives in the candidates."""
    starts, ends = [], []
    for words, held in zip(alts, docs):
        if time.monotonic() > deadline:
            raise phrases.OutOfTime
        cands = np.intersect1d(held, candidates, assume_unique=True)
        if not len(cands):
            continue
        end = phrases._keys(s, reader, kept, fieldname, words[0], cands)
        for w in words[1:]:  # a phrase: each next word right after the previous one
            end = phrases._following(end, phrases._keys(s, reader, kept, fieldname, w, cands), 1)
            if not len(end):
                break
        starts.append(end - (len(words) - 1))
        ends.append(end)
    if not starts:
        return _EMPTY, _EMPTY
    return np.concatenate(starts), np.concatenate(ends)


def _joined(left: tuple[np.ndarray, np.ndarray], right: tuple[np.ndarray, np.ndarray], distance: int,
            ordered: bool) -> np.ndarray:
    """Return the documents where a right span starts 1..distance after a left span ends (or, unordered, vice versa)."""
    out = [_after(left[1], np.sort(right[0]), distance)]
    if not ordered:
        out.append(_after(right[1], np.sort(left[0]), distance))
    docs = np.concatenate(out)
    return np.unique(docs) if len(docs) else _EMPTY


def _after(ends: np.ndarray, starts: np.ndarray, distance: int) -> np.ndarray:
    """Return the document of each end key followed within 1..distance positions by a start key."""
    if not len(ends) or not len(starts):
        return _EMPTY
    lo = np.searchsorted(starts, ends + 1, side="left")
    hi = np.searchsorted(starts, ends + distance, side="right")
    return ends[hi > lo] >> _SHIFT


__all__ = ["NearQuery", "Span", "SpanAny", "alternatives", "near_docs", "near_query"]
