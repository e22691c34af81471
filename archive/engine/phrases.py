"""Documents that hold a phrase: candidates by intersecting the words' posting arrays, then positions.

Whoosh walks a phrase through span matchers, a Python object per posting; for a phrase of
common words ("the company said") that took seconds. Here the words' document arrays are
intersected first, and only the candidates' positions are decoded and checked, with the rule of
Whoosh's ordered `SpanNear2` (each word 1..slop positions after the end of the match so far,
every choice of positions considered), so the documents are the same (a test compares them).
"""

from __future__ import annotations

import bisect
import time

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from archive.engine import arrays
from archive.engine.fields import pairs

CHECK_EVERY = 256  # candidates between two looks at the clock
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


def _segment_items(s: Searcher, reader, terms: list[Item], deadline: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Return the segment-local documents where every item holds at one common start position."""
    keys = list(dict.fromkeys((f, t) for f, t, _ in terms))
    if any(k not in reader for k in keys):
        return _EMPTY
    ids = {k: _ids(s, reader, *k) for k in keys}
    candidates = ids[keys[0]]
    for k in keys[1:]:
        candidates = np.intersect1d(candidates, ids[k], assume_unique=True)
    if len(terms) == 1 or not len(candidates):
        return candidates  # one pair: its postings are the answer
    values = {k: _values_for(reader.postings(*k), candidates) for k in keys}
    formats = {k: s.schema[k[0]].format for k in keys}
    order = sorted(terms, key=lambda item: len(ids[item[:2]]))  # rarest first: most candidates fail early
    hits = []
    for n, docnum in enumerate(candidates.tolist()):
        if n % CHECK_EVERY == CHECK_EVERY - 1 and time.monotonic() > deadline:
            raise OutOfTime
        starts: set[int] | None = None
        decoded: dict[tuple[str, str], list[int]] = {}
        for f, t, off in order:
            k = (f, t)
            if k not in decoded:
                decoded[k] = formats[k].decode_positions(values[k][n])
            here = {p - off for p in decoded[k]}
            starts = here if starts is None else starts & here
            if not starts:
                break
        if starts:
            hits.append(docnum)
    return np.asarray(hits, dtype=np.int64)


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


def _has_terms(reader, fieldname: str) -> bool:  # type: ignore[no-untyped-def]
    """Return True when a segment indexed the field (segments of older indexes did not)."""
    segment = reader.segment()
    key = f"{segment.segment_id() if segment is not None else id(reader)}/{fieldname}"
    got = _paired.get(key)
    if got is None:
        got = _paired[key] = next(iter(reader.lexicon(fieldname)), None) is not None
    return got


def _segment(s: Searcher, reader, fieldname: str, words: list[str], slop: int, deadline: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Return the segment-local documents where the words occur in order within `slop`."""
    if any((fieldname, w) not in reader for w in set(words)):
        return _EMPTY
    if len(words) == 1:
        got = _ids(s, reader, fieldname, words[0])
        return got
    fmt = s.schema[fieldname].format
    postings = {w: _ids_values(reader.postings(fieldname, w)) for w in set(words)}
    candidates = postings[words[0]][0]
    for w in set(words[1:]):
        candidates = np.intersect1d(candidates, postings[w][0], assume_unique=True)
    if not len(candidates):
        return _EMPTY
    where = {w: np.searchsorted(ids, candidates).tolist() for w, (ids, _) in postings.items()}
    # Adjacent words: check the rarest word first, so most candidates fail before the
    # positions of a common word ("the") are decoded.
    order = sorted(range(len(words)), key=lambda i: len(postings[words[i]][0]))
    hits = []
    for n, docnum in enumerate(candidates.tolist()):
        if n % CHECK_EVERY == CHECK_EVERY - 1 and time.monotonic() > deadline:
            raise OutOfTime
        values = {w: postings[w][1][where[w][n]] for w in postings}  # still encoded
        if slop == 1:
            ok = _adjacent(words, order, values, fmt)
        else:
            ok = _holds([fmt.decode_positions(values[w]) for w in words], slop)
        if ok:
            hits.append(docnum)
    return np.asarray(hits, dtype=np.int64)


def _ids(s: Searcher, reader, fieldname: str, text: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Return a term's segment-local documents, from the segment's arrays when it has them."""
    folder, segment = arrays.folder_of(s), reader.segment()
    kept = arrays.for_segment(folder, segment.segment_id()) if folder and segment is not None else None
    got = kept.get(fieldname, text) if kept is not None else None
    if got is None:
        got = arrays.read_postings(reader.postings(fieldname, text))
    if got is None:
        raise Unsupported
    return got[0]


def _adjacent(words: list[str], order: list[int], values: dict[str, bytes], fmt) -> bool:  # type: ignore[no-untyped-def]
    """Return True when the words stand next to each other in order (positions p, p+1, ...)."""
    starts: set[int] | None = None
    decoded: dict[str, list[int]] = {}
    for i in order:
        w = words[i]
        if w not in decoded:
            decoded[w] = fmt.decode_positions(values[w])
        here = {p - i for p in decoded[w]}
        starts = here if starts is None else starts & here
        if not starts:
            return False
    return True


def _holds(positions: list[list[int]], slop: int) -> bool:
    """Return True when each word can follow the previous one's position by 1..slop."""
    ends = positions[0]
    for later in positions[1:]:
        ends = [j for j in later if any(1 <= j - e <= slop for e in ends)]
        if not ends:
            return False
    return True


def _ids_values(m: object) -> tuple[np.ndarray, list[bytes]]:
    while isinstance(m, FilterMatcher):  # deletions: the caller's live mask removes them
        m = m.child
    if not isinstance(m, W3LeafMatcher):
        raise Unsupported
    ids: list[np.ndarray] = []
    values: list[bytes] = []
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if m._values is None:
            m._read_values()
        ids.append(np.asarray(m._ids, dtype=np.int64))
        values.extend(m._values)
        m._next_block()
    return (np.concatenate(ids) if ids else _EMPTY), values
