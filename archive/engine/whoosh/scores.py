"""BM25F scores of a whole query at once, with numpy, for the top of a result list.

Whoosh scores a match at a time through a tree of matchers (microseconds each, for every match
of a broad query), and its pruning top-N search can miss the best document (seen with a date
range). Here each term's postings are read a block at a time (document numbers and weights) and
scored as arrays with Whoosh's own formula and statistics (`scoring.bm25`, the searcher's idf
and average field length, the stored byte-coded field lengths); `And` and `Or` add their parts'
scores as Whoosh's matchers do, `AndNot` keeps the left side's. A tree with a leaf this module
does not score (phrases, proximity) returns None and Whoosh ranks it instead.
"""

from __future__ import annotations

import threading

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from archive.engine.whoosh import accel, near
from archive.engine.whoosh.accel import Table
from archive.engine.whoosh.columns import length_bytes

Scored = tuple[np.ndarray, np.ndarray]  # (sorted document numbers, their scores)
_BYTE_LENGTH = np.array([0.0] + [float(byte_to_length(b)) for b in range(1, 256)])
_EMPTY: Scored = (np.zeros(0, dtype=np.int64), np.zeros(0))
_lock = threading.Lock()


class Unsupported(Exception):
    """The query has a part only Whoosh can score."""


def score(s: Searcher, t: Table, q: wq.Query, memo: dict | None = None,
          known: np.ndarray | None = None) -> Scored | None:
    """Return the live matching documents and their scores, or None when Whoosh must score.

    `memo` holds phrases' documents already found by `accel.matching` (by query id). `known`:
    the query's live matching documents (sorted), when they were just counted. Then an `And`
    scores its parts at those documents only, and an excluded part or a date range gives them 1
    without being matched again: "bank NOT japan" no longer makes the million documents
    without "japan" a second time. The scores are the same, added in the same order.
    """
    if not t.size:  # an empty index: nothing to score (and Whoosh's idf divides by zero)
        return _EMPTY
    memo = {} if memo is None else memo
    if known is not None:
        try:
            return known, _score_at(s, t, q, memo, known)
        except Unsupported:
            pass  # scored whole below (or by Whoosh)
    try:
        docs, scores = _score(s, t, q, memo)
    except Unsupported:
        return None
    keep = t.live[docs]
    return docs[keep], scores[keep]


def _score_at(s: Searcher, t: Table, q: wq.Query, memo: dict, known: np.ndarray) -> np.ndarray:
    """Return the scores `_score` gives the sorted documents `known`, each of which matches `q`."""
    if getattr(q, "boost", 1) != 1:
        raise Unsupported
    if isinstance(q, wq.Term):
        return _term(s, t, q.fieldname, q.text, memo, only=known)[1]
    if isinstance(q, wq.And):  # every part matches every known document
        parts = [_score_at(s, t, c, memo, known) for c in q.subqueries]
        total = parts[0]
        for v in parts[1:]:
            total = total + v
        return total
    if isinstance(q, wq.Not) or (isinstance(q, wq.Every) and not q.fieldname) or _constant_range(t, q):
        return np.ones(len(known))  # as `_score`: Whoosh scores each of these matches 1
    docs, scores = _score(s, t, q, memo)
    return scores[_rows(docs, known)]


def _rows(docs: np.ndarray, only: np.ndarray) -> np.ndarray:
    """Return where each of the sorted documents `only` stands in the sorted `docs`, which hold them all."""
    if len(only) == len(docs) and np.array_equal(docs, only):  # a one-word search: its own documents
        return np.arange(len(docs))
    at = np.searchsorted(docs, only)
    if len(only) and (at[-1] >= len(docs) or not np.array_equal(docs[at], only)):
        raise Unsupported  # not expected: the query is scored whole (or by Whoosh)
    return at


def top(t: Table, scored: Scored, limit: int | None, first: np.ndarray | None = None,
        key: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Return (docnum, score) of the best copy of each text, best first (ties: lower docnum).

    Documents in `first` (sorted document numbers) come before all others, each group best first.
    `key` (a code per document number, `Table.story_codes`) keeps the best document of each code
    instead: one per story.

    For a short page of a long list, only the best-scored documents are sorted: every document
    scoring at least the k-th best score (ties included), k growing until they hold `limit`
    texts. No document left out can come before them, so the page is the one a whole sort gives.
    Sorting a broad query's half a million matches took most of its time.
    """
    docs, scores = scored
    if first is not None and len(first):
        order = np.lexsort((docs, -scores, ~np.isin(docs, first, assume_unique=True)))
        return _first_copies(t, docs, scores, order, limit, key)
    k = 4 * limit + 64 if limit is not None else len(docs)
    while k < len(docs) // 4:
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th best score
        near = np.flatnonzero(scores >= threshold)
        order = near[np.lexsort((docs[near], -scores[near]))]
        got = _first_copies(t, docs, scores, order, limit, key)
        if limit is not None and len(got) == limit:
            return got
        k *= 8
    return _first_copies(t, docs, scores, np.lexsort((docs, -scores)), limit, key)


def _first_copies(t: Table, docs: np.ndarray, scores: np.ndarray, order: np.ndarray,
                  limit: int | None, key: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Return the first `limit` documents of `order` whose text (or `key`) has not come before, with their scores."""
    best = order[firsts((t.hash if key is None else key)[docs[order]])[:limit]]
    return [(int(d), float(v)) for d, v in zip(docs[best], scores[best])]


def firsts(codes: np.ndarray) -> np.ndarray:
    """Return the positions of each code's first occurrence, in order."""
    _, first = np.unique(codes, return_index=True)
    return np.sort(first)


def _score(s: Searcher, t: Table, q: wq.Query, memo: dict) -> Scored:  # noqa: PLR0911
    if getattr(q, "boost", 1) != 1:
        raise Unsupported
    if isinstance(q, wq.Term):
        return _term(s, t, q.fieldname, q.text, memo)
    if isinstance(q, wq.And):
        return _and([_score(s, t, c, memo) for c in q.subqueries])
    if isinstance(q, wq.Or):
        return _or([_score(s, t, c, memo) for c in q.subqueries])
    if isinstance(q, wq.AndNot):
        (docs, scores), (out, _) = _score(s, t, q.a, memo), _score(s, t, q.b, memo)
        keep = accel.absent(t.size, docs, out)
        return docs[keep], scores[keep]
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return _EMPTY
    if isinstance(q, wq.Phrase):
        # Whoosh scores a phrase match as the sum of its words' scores in that document.
        found = memo.get(id(q))
        if found is None:
            found = accel.phrase(s, q, float("inf"))
        # Every word is in every found document: each word is scored there only.
        parts = [_term(s, t, q.fieldname, w, memo, only=found) for w in q.words]
        return found, np.sum([v for _, v in parts], axis=0) if parts else np.zeros(len(found))
    if isinstance(q, near.NearQuery):
        # As a phrase: the sum of its words' scores, in the documents where the proximity holds.
        found = memo.get(id(q))
        if found is None:
            found = accel.proximity(s, q, float("inf"))
        sides = q.sides()
        if sides is None:
            raise Unsupported
        words = sorted({w for alts in sides for a in alts for w in a})
        scored = _or([_term(s, t, q.fieldname(), w, memo) for w in words])
        return _and([(found, np.zeros(len(found))), scored])
    if isinstance(q, wq.Not):
        docs = accel.without(t.size, t.all_live, accel.docs_of(s, t, q.query, memo))
        return docs, np.ones(len(docs))  # Whoosh's inverse matcher scores 1 (an And adds it)
    if isinstance(q, wq.Every) and not q.fieldname:
        return t.all_live, np.ones(len(t.all_live))  # Whoosh scores every document 1
    if _constant_range(t, q):
        docs = accel.date_range(t.fields[q.fieldname], q.start, q.end)
        return docs, np.ones(len(docs))  # a constant-score range adds 1 to each match's score
    raise Unsupported


def _constant_range(t: Table, q: wq.Query) -> bool:
    """Return True for a range over a column of the table whose every match scores 1."""
    return (isinstance(q, wq.TermRange) and q.constantscore and q.fieldname in t.fields
            and not (q.startexcl or q.endexcl))


def _and(parts: list[Scored]) -> Scored:
    docs, scores = parts[0]
    for d, v in parts[1:]:
        docs, i, j = np.intersect1d(docs, d, assume_unique=True, return_indices=True)
        scores = scores[i] + v[j]
    return docs, scores


def _or(parts: list[Scored]) -> Scored:
    if not parts:
        return _EMPTY
    docs = np.concatenate([d for d, _ in parts])
    order = np.argsort(docs, kind="stable")  # equal documents keep the parts' order, as Whoosh adds them
    docs, values = docs[order], np.concatenate([v for _, v in parts])[order]
    if not len(docs):
        return docs, values
    starts = np.flatnonzero(np.concatenate(([True], docs[1:] != docs[:-1])))
    return docs[starts], np.add.reduceat(values, starts)


def _term(s: Searcher, t: Table, fieldname: str, text: str, memo: dict, only: np.ndarray | None = None) -> Scored:
    """Score a term's documents, or only the sorted documents `only` (each of which must hold it)."""
    docs, tf = accel.postings(s, fieldname, text, memo)
    if tf is None:
        raise Unsupported
    if only is not None:
        docs, tf = only, tf[_rows(docs, only)]
    field = s.schema[fieldname]
    if not field.scorable:
        return docs, tf  # Whoosh's WeightScorer: the posting's weight
    w = s.weighting
    if type(w).__name__ != "BM25F" or getattr(w, "_field_B", None):
        raise Unsupported
    idf, avgfl = s.idf(fieldname, text), s.avg_field_length(fieldname) or 1
    fl = lengths(s, t, fieldname)[docs]
    return docs, idf * ((tf * (w.K1 + 1)) / (tf + w.K1 * ((1 - w.B) + w.B * fl / avgfl)))


def lengths(s: Searcher, t: Table, fieldname: str) -> np.ndarray:
    """Return every document's length in a field as Whoosh scores it (decoded from one byte)."""
    with _lock:
        cached = t.lengths.get(fieldname)
    if cached is not None:
        return cached
    parts = [_BYTE_LENGTH[length_bytes(sub.reader(), fieldname)] for sub, _ in s.leaf_searchers()]
    out = np.concatenate(parts) if parts else np.zeros(0)
    with _lock:
        t.lengths[fieldname] = out
    return out
