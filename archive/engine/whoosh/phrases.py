"""Documents that hold a phrase: candidates by intersecting the words' posting arrays, then positions.

Whoosh walks a phrase through span matchers, a Python object per posting; for a phrase of
common words ("the company said") that took seconds. Here the words' document arrays are
intersected first; then each word's positions in the candidates become (document, position)
keys, from the segment's position arrays (arrays.py) or decoded for the candidates only, and
the keys are joined in numpy with the rule of Whoosh's ordered `SpanNear2` (each word 1..slop
positions after the end of the match so far, every choice of positions considered), so the
documents are the same (tests compare them).
"""

from __future__ import annotations

import bisect
import time

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from archive.engine.whoosh import arrays
from archive.engine.whoosh.fields import pairs

_SHIFT = 32  # a key is document << 32 | position
_EMPTY = np.zeros(0, dtype=np.int64)


class OutOfTime(Exception):
    """The time budget ran out while checking positions."""


class Unsupported(Exception):
    """The postings are not in the form this module reads; Whoosh must walk the phrase."""


def phrase_docs(s: Searcher, q: wq.Phrase, deadline: float) -> np.ndarray:
    """Return the document numbers (deleted ones included) where the phrase occurs."""
    words = list(q.words)
    paired = pairs_field(s, q)
    found = []
    for sub, offset in s.leaf_searchers():
        reader = sub.reader()
        if q.slop == 1 and len(words) > 1:
            # Adjacent words: common pairs stand for two words each (their positions are few),
            # the other words for themselves; positions are read for candidates only.
            with_pairs = paired is not None and _has_terms(reader, paired)
            hits = _segment_items(s, reader, items(words, q.fieldname, paired if with_pairs else None,
                                                   getattr(s.schema[paired], "common", None) if with_pairs else None),
                                  deadline)
        else:
            hits = _segment(s, reader, q.fieldname, words, q.slop, deadline)
        if len(hits):
            found.append(hits + offset)
    return np.concatenate(found) if found else _EMPTY


def pairs_field(s: Searcher, q: wq.Phrase) -> str | None:
    """Return the pairs field beside an exact field (`body_exact` -> `body_pairs`), or None."""
    if q.slop != 1 or len(q.words) < 2 or not q.fieldname.endswith("_exact"):
        return None
    name = q.fieldname[: -len("_exact")] + "_pairs"
    if name not in s.schema or getattr(s.schema[name], "common", None) is None:
        return None
    return name


Item = tuple[str, str, int]  # (field, term, offset of its first word in the phrase)


def items(words: list[str], exact: str, paired: str | None, common: frozenset[str] | None) -> list[Item]:
    """Return the terms that together say "these words, adjacent, from position p on".

    A pair holding a common word is indexed at its first word's position, so it checks two words
    at once; a word no indexed pair covers is checked in the exact field.
    """
    out: list[Item] = []
    covered = [False] * len(words)
    if paired is not None and common is not None:
        for i, pair in enumerate(pairs(words, common)):
            if pair is not None:
                out.append((paired, pair, i))
                covered[i] = covered[i + 1] = True
    out += [(exact, w, i) for i, w in enumerate(words) if not covered[i]]
    return out


def _segment_items(s: Searcher, reader: IndexReader, terms: list[Item], deadline: float) -> np.ndarray:
    """Return the segment-local documents where every item holds at one common start position."""
    keys = list(dict.fromkeys((f, t) for f, t, _ in terms))
    if any(k not in reader for k in keys):
        return _EMPTY
    ids = {k: _ids(s, reader, *k) for k in keys}
    candidates = ids[keys[0]]
    for k in keys[1:]:
        candidates = intersect_sorted(candidates, ids[k])
    if len(terms) == 1 or not len(candidates):
        return candidates  # one pair: its postings are the answer
    kept = arrays.for_reader(arrays.folder_of(s), reader)
    starts: np.ndarray | None = None
    # Rarest first: most candidates fail before a common word's positions are gathered.
    for f, t, off in sorted(terms, key=lambda item: len(ids[item[:2]])):
        if time.monotonic() > deadline:
            raise OutOfTime
        here = _keys(s, reader, kept, f, t, candidates, off)
        starts = here if starts is None else intersect_sorted(starts, here)
        if not len(starts):
            return _EMPTY
        candidates = distinct_sorted(starts >> _SHIFT)
    return candidates


def _keys(s: Searcher, reader: IndexReader, kept: arrays.SegmentArrays | None, fieldname: str, text: str,
          candidates: np.ndarray, shift: int = 0) -> np.ndarray:
    """Return the sorted keys `document << 32 | position - shift` of a term in the candidates.

    Each candidate must hold the term. Positions come from the segment's arrays when it keeps
    them, else from Whoosh's postings, decoded for the candidates only. A position before
    `shift` cannot end a match that starts in the text, so it is left out.
    """
    got = kept.positional(fieldname, text) if kept is not None else None
    if got is not None:
        docs, starts, positions = got
        at = np.searchsorted(docs, candidates)
        lo, hi = np.asarray(starts[at], dtype=np.int64), np.asarray(starts[at + 1], dtype=np.int64)
    else:
        starts, positions = arrays.positions_of(_values_for(reader.postings(fieldname, text), candidates))
        lo, hi = starts[:-1], starts[1:]
    counts = hi - lo
    # Every candidate's run of positions, gathered in one fancy index.
    into = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
    where = np.asarray(positions[into], dtype=np.int64) - shift
    docs = np.repeat(candidates, counts)
    ok = where >= 0
    return (docs[ok] << _SHIFT) | where[ok]


def _values_for(m: object, candidates: np.ndarray) -> list[bytes]:
    """Return a term's encoded values for each candidate (each must hold the term), skipping other blocks."""
    while isinstance(m, FilterMatcher):
        m = m.child
    if not isinstance(m, W3LeafMatcher):
        raise Unsupported
    cands = candidates.tolist()
    out: list[bytes] = []
    j = 0
    while j < len(cands) and m.is_active():
        if cands[j] > m._maxid:  # no candidate in this block: its data is never decoded
            m._next_block()
            continue
        if m._ids is None:
            m._read_ids()
        if m._values is None:
            m._read_values()
        k = bisect.bisect_right(cands, m._maxid, j)
        block_ids, block_values = m._ids, m._values
        out += [block_values[bisect.bisect_left(block_ids, c)] for c in cands[j:k]]
        j = k
        m._next_block()
    if len(out) != len(cands):
        raise Unsupported
    return out


_paired: dict[str, bool] = {}


def _has_terms(reader: IndexReader, fieldname: str) -> bool:
    """Return True when a segment indexed the field (segments of older indexes did not)."""
    segment = reader.segment()
    key = f"{segment.segment_id() if segment is not None else id(reader)}/{fieldname}"
    got = _paired.get(key)
    if got is None:
        got = _paired[key] = next(iter(reader.lexicon(fieldname)), None) is not None
    return got


def _segment(s: Searcher, reader: IndexReader, fieldname: str, words: list[str], slop: int,
             deadline: float) -> np.ndarray:
    """Return the segment-local documents where the words occur in order, each 1..slop after the last."""
    if any((fieldname, w) not in reader for w in set(words)):
        return _EMPTY
    ids = {w: _ids(s, reader, fieldname, w) for w in set(words)}
    candidates = ids[words[0]]
    for w in set(words[1:]):
        candidates = intersect_sorted(candidates, ids[w])
    if len(words) == 1 or not len(candidates):
        return candidates
    kept = arrays.for_reader(arrays.folder_of(s), reader)
    keys: dict[str, np.ndarray] = {}
    ends = _EMPTY
    for i, w in enumerate(words):
        if time.monotonic() > deadline:
            raise OutOfTime
        if w not in keys:
            keys[w] = _keys(s, reader, kept, fieldname, w, candidates)
        ends = keys[w] if i == 0 else _following(ends, keys[w], slop)
        if not len(ends):
            return _EMPTY
    return distinct_sorted(ends >> _SHIFT)


def _following(ends: np.ndarray, later: np.ndarray, slop: int) -> np.ndarray:
    """Return the keys of `later` that stand 1..slop positions after some key of `ends`, in one document.

    As Whoosh's ordered `SpanNear2`: every choice of earlier positions is considered, so a later
    position only needs the nearest earlier one before it. Positions are far below 2**32, so a
    difference of at most `slop` means the same document.
    """
    nearest = np.searchsorted(ends, later - 1, side="right") - 1
    found = nearest >= 0
    gap = later - ends[np.maximum(nearest, 0)]
    return later[found & (gap <= slop)]


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the values two sorted arrays of distinct values share, sorted.

    Each value of the shorter is looked up in the longer (np.intersect1d sorts both together,
    which costs more when one is long: a common word's documents at a million).
    """
    dtype = np.result_type(a, b)  # as np.intersect1d's
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a.astype(dtype, copy=False)
    at = np.searchsorted(b, a)
    at[at == len(b)] = len(b) - 1
    return a[b[at] == a].astype(dtype, copy=False)


def distinct_sorted(a: np.ndarray) -> np.ndarray:
    """Return the distinct values of a sorted array (np.unique would sort it again)."""
    if len(a) < 2:
        return a
    return a[np.concatenate(([True], a[1:] != a[:-1]))]


def _ids(s: Searcher, reader: IndexReader, fieldname: str, text: str) -> np.ndarray:
    """Return a term's segment-local documents, from the segment's arrays when it has them."""
    got = arrays.segment_postings(arrays.folder_of(s), reader, fieldname, text)
    if got is None:
        got = arrays.read_postings(reader.postings(fieldname, text))
    if got is None:
        raise Unsupported
    return got[0]
