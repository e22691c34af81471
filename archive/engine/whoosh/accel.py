"""Vectorised totals and facets: a query's matching documents as a numpy array, counted in bulk.

Walking every match through Whoosh's matchers and reading each document's content hash and
facet values one by one costs microseconds a document (a broad query over 100,000 documents
took seconds). Instead:
- each searcher generation gets its columns once, as integer codes (content hash, source, year,
  language, month, date) plus a mask of live (not deleted) documents; segments never change, so
  the codes stay valid for the searcher's life;
- a query's documents come from the posting blocks of its terms (read as arrays, not one posting
  at a time) combined with set operations; dates compare as codes of the sorted date values; any
  other query (phrases, proximity) is walked by Whoosh, after a cheap check that every word of a
  phrase occurs in some common document;
- totals count distinct content-hash codes, facets count distinct (value, hash) pairs.
Totals stay exact and count identical texts once (DESIGN.md §6).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from archive.engine.whoosh import arrays, near, phrases
from archive.engine.whoosh.columns import column, column_bytes

CHECK_EVERY = 256  # matches between two looks at the clock when Whoosh walks a query
_EMPTY = np.zeros(0, dtype=np.int64)


class OutOfTime(Exception):
    """The time budget of a search ran out."""


@dataclass
class Codes:
    """One sortable field as integer codes per document number (-1: no value) and the values."""

    codes: np.ndarray
    values: list[str]


class Table:
    """The columns of one searcher generation as arrays, built once and shared between threads."""

    def __init__(self, s: Searcher, fields: tuple[str, ...]):
        self.size = s.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for sub, offset in s.leaf_searchers():
            dead = sub.reader().deleted_docs_set if sub.reader().has_deletions() else ()
            if dead:
                self.live[np.fromiter(dead, dtype=np.int64) + offset] = False
        self.all_live = np.flatnonzero(self.live)
        hashes = _column_codes(s, "content_hash")
        self.hash, self.hash_values = hashes.codes, hashes.values  # values sorted: code order is text order
        self._hash_lines: np.ndarray | None = None
        self.groups = int(self.hash.max()) + 1 if self.size else 0
        # Copies per text among live documents: a text with one copy needs no lookup of its paths.
        self.copies = np.bincount(self.hash[self.live], minlength=self.groups) if self.size else _EMPTY
        self.fields = {name: _column_codes(s, name) for name in fields}
        self.lengths: dict[str, np.ndarray] = {}  # field lengths for scoring, read when first needed
        self.labels: dict[str, str] = {}  # source keys -> their stored spelling, looked up when first shown
        self._story: np.ndarray | None = None
        self.story_groups = 0  # story codes run from 0 to story_groups - 1 (once built)

    def story_codes(self, s: Searcher) -> np.ndarray:
        """Return a story code per document number (built on first use): equal codes, one story.

        Every copy of a text gets one code, as `similar.story_keys` has it: the smallest among
        its live copies, where a story label's code (the labels' order) comes before no label
        (the text's own story: a code after the labels', by the text's code). Copies of a text
        can be labelled apart: a text without words is labelled by each copy's id, and an index
        made before labels existed holds copies without one. `s` is a searcher of this table's
        generation.
        """
        if self._story is None:
            if "story" in s.schema.names() and self.size:
                labels = _column_codes(s, "story")
                own = labels.codes.copy()
                unlabelled = own < 0
                own[unlabelled] = len(labels.values) + self.hash[unlabelled]
                # A text's code: the smallest of its live copies'; a text with none keeps its own story.
                canon = len(labels.values) + np.arange(self.groups, dtype=np.int64)
                live = self.live & (self.hash >= 0)
                np.minimum.at(canon, self.hash[live], own[live])
                codes = np.where(self.hash >= 0, canon[np.maximum(self.hash, 0)], own)
            else:
                codes = self.hash
            self.story_groups = int(codes.max()) + 1 if len(codes) else 0
            self._story = codes
        return self._story

    def grouping(self, stories: bool) -> tuple[np.ndarray, int]:
        """Return (a code per document, the number of codes): of texts, or of stories (`story_codes`, built before)."""
        if not stories:
            return self.hash, self.groups
        if self._story is None:
            raise ValueError("the table's story codes are not built: call Table.story_codes first")
        return self._story, self.story_groups

    def hash_lines(self) -> np.ndarray | None:
        """Return each content hash followed by a newline, as fixed-width bytes (built on first use).

        None when the hashes differ in length: fixed-width rows would then be padded.
        """
        if self._hash_lines is None and self.hash_values:
            if len({len(v) for v in self.hash_values}) == 1:
                self._hash_lines = np.array([(v + "\n").encode() for v in self.hash_values])
        return self._hash_lines


_tables: OrderedDict[tuple, Table] = OrderedDict()
_lock = threading.Lock()
TABLE_FIELDS = ("source", "year", "lang", "month", "date")
MAX_TABLES = 4  # generations kept (a few indexes, or searchers of the previous commit still running)


def table(s: Searcher) -> Table:
    """Return the column table of the searcher's generation, building it on first use.

    The key is the generation's segments and their deletion counts, so every searcher of one
    commit (a pool, or one per thread) shares one table; it holds arrays only, no open files.
    """
    key = tuple(_segment_key(sub.reader()) for sub, _ in s.leaf_searchers())
    with _lock:
        t = _tables.get(key)
        if t is not None:
            _tables.move_to_end(key)
            return t
        t = _tables[key] = Table(s, TABLE_FIELDS)
        while len(_tables) > MAX_TABLES:
            _tables.popitem(last=False)
        return t


def _segment_key(reader: IndexReader) -> tuple[str, int]:
    """Return (segment id, deletions) of a segment reader; an empty index's reader has no segment."""
    segment = reader.segment()
    return (segment.segment_id(), segment.deleted_count()) if segment is not None else ("", 0)


def _column_codes(s: Searcher, name: str) -> Codes:
    """Return codes for a column's values over the searcher's documents (see `_codes`)."""
    fixed = column_bytes(s, name)
    return _codes(column(s, name) if fixed is None else fixed)


def _codes(values: list | np.ndarray) -> Codes:
    """Return codes for a column's values (strings, or UTF-8 byte strings from `column_bytes`):
    equal values share a code, codes follow the values' order, empty values get -1."""
    if not len(values):
        return Codes(_EMPTY.copy(), [])
    uniq, inverse = np.unique(np.asarray(values, dtype=object) if isinstance(values, list) else values,
                              return_inverse=True)
    labels = [v.decode() if isinstance(v, bytes) else str(v) for v in uniq.tolist()]
    codes = inverse.astype(np.int64).ravel()
    if labels and labels[0] == "":
        codes -= 1  # "" sorts first: it becomes -1 and the others shift down
        labels = labels[1:]
    return Codes(codes, labels)


# -- matching documents -------------------------------------------------------------------------

def matching(s: Searcher, q: wq.Query, deadline: float, memo: dict | None = None) -> np.ndarray:
    """Return the sorted document numbers (live only) that a compiled query matches.

    `memo` receives each phrase's documents (by the id of its query), for scoring them later.
    """
    t = table(s)
    docs = _docs(s, t, q, deadline, {} if memo is None else memo)
    return docs[t.live[docs]] if len(docs) else docs


def docs_of(s: Searcher, t: Table, q: wq.Query, memo: dict) -> np.ndarray:
    """Return a query's sorted documents (deleted ones may be included), without a deadline."""
    return _docs(s, t, q, float("inf"), memo)


def _docs(s: Searcher, t: Table, q: wq.Query, deadline: float, memo: dict) -> np.ndarray:  # noqa: PLR0911
    if time.monotonic() > deadline:  # out of time before this part: the caller counts what it can
        raise OutOfTime
    if isinstance(q, wq.Term):
        return term_docs(s, q.fieldname, q.text, memo)
    if isinstance(q, wq.And):
        return _intersect([_docs(s, t, c, deadline, memo) for c in q.subqueries])
    if isinstance(q, wq.Or):
        return union(t.size, [_docs(s, t, c, deadline, memo) for c in q.subqueries])
    if isinstance(q, wq.AndNot):
        return without(t.size, _docs(s, t, q.a, deadline, memo), _docs(s, t, q.b, deadline, memo))
    if isinstance(q, wq.Not):
        return without(t.size, t.all_live, _docs(s, t, q.query, deadline, memo))
    if isinstance(q, wq.Every):
        return t.all_live
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return _EMPTY
    if isinstance(q, wq.TermRange) and q.fieldname in t.fields and not (q.startexcl or q.endexcl):
        return date_range(t.fields[q.fieldname], q.start, q.end)
    if isinstance(q, wq.Phrase) and q.boost == 1:
        memo[id(q)] = docs = phrase(s, q, deadline)
        return docs
    if isinstance(q, near.NearQuery):
        memo[id(q)] = docs = proximity(s, q, deadline)
        return docs
    return _walk(s, q, deadline)


def proximity(s: Searcher, q: near.NearQuery, deadline: float) -> np.ndarray:
    """Return the sorted documents where a w/N or pre/N proximity holds."""
    try:
        return near.near_docs(s, q, deadline)
    except phrases.OutOfTime as exc:
        raise OutOfTime from exc
    except phrases.Unsupported:
        return np.unique(_walk(s, q, deadline))


def phrase(s: Searcher, q: wq.Phrase, deadline: float) -> np.ndarray:
    """Return the sorted documents holding a phrase (positions checked on candidates only)."""
    try:
        # Each segment's documents are sorted and distinct, and segments follow each other.
        return sorted_or_unique(phrases.phrase_docs(s, q, deadline))
    except phrases.OutOfTime as exc:
        raise OutOfTime from exc
    except phrases.Unsupported:
        return np.unique(_walk(s, q, deadline))


def _intersect(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return _EMPTY
    parts = sorted(parts, key=len)
    out = parts[0]
    for p in parts[1:]:
        if not len(out):
            break
        out = phrases.intersect_sorted(out, p)
    return out


def date_range(col: Codes, start: str, end: str) -> np.ndarray:
    """Return the documents whose value v satisfies start <= v <= end (as Whoosh's TermRange)."""
    values = col.values  # sorted, without ""
    lo = int(np.searchsorted(np.asarray(values, dtype=object), start, side="left")) if values else 0
    hi = int(np.searchsorted(np.asarray(values, dtype=object), end, side="right")) if values else 0
    return np.flatnonzero((col.codes >= lo) & (col.codes < hi))


def term_docs(s: Searcher, fieldname: str, text: str, memo: dict | None = None) -> np.ndarray:
    """Return the document numbers holding a term (deleted ones included)."""
    return postings(s, fieldname, text, memo)[0]


def postings(s: Searcher, fieldname: str, text: str, memo: dict | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return a term's (document numbers, weights), read a block at a time, deleted ones included.

    Weights are None when a segment's postings are not in the form read here. `memo` keeps the
    arrays for the rest of one search (counting and scoring read the same terms).
    """
    key = ("postings", fieldname, text)
    if memo is not None and key in memo:
        return memo[key]
    ids, weights = [], []
    folder = arrays.folder_of(s)
    for sub, offset in s.leaf_searchers():
        reader = sub.reader()
        got: tuple[np.ndarray, np.ndarray | None] | None = arrays.segment_postings(folder, reader, fieldname, text)
        if got is None and (fieldname, text) in reader:
            got = _read(reader.postings(fieldname, text))
        if got is not None:
            i, w = got
            ids.append(i + offset if offset else i)
            weights.append(w)
    if not ids:
        out: tuple = (_EMPTY, np.zeros(0))
    else:
        known = [w for w in weights if w is not None]
        out = (np.concatenate(ids), np.concatenate(known) if len(known) == len(weights) else None)
    if memo is not None:
        memo[key] = out
    return out


def _read(m: Matcher) -> tuple[np.ndarray, np.ndarray | None]:
    got = arrays.read_postings(m)
    if got is None:
        while isinstance(m, FilterMatcher):
            m = m.child
        return np.fromiter(m.all_ids(), dtype=np.int64), None
    return got


def _walk(s: Searcher, q: wq.Query, deadline: float) -> np.ndarray:
    """Return the documents of a query Whoosh must check itself (positions), watching the clock."""
    return np.fromiter(_watch(s.docs_for_query(q), deadline), dtype=np.int64)


def _watch(docs: Iterator[int], deadline: float) -> Iterator[int]:
    for i, d in enumerate(docs):
        if i % CHECK_EVERY == CHECK_EVERY - 1 and time.monotonic() > deadline:
            raise OutOfTime
        yield d


# -- counting -----------------------------------------------------------------------------------

def distinct(t: Table, docs: np.ndarray, stories: bool = False) -> int:
    """Return the number of distinct texts (with `stories`: stories, `Table.story_codes`) among documents."""
    if not len(docs):
        return 0
    key, groups = t.grouping(stories)
    seen = np.zeros(groups, dtype=bool)
    seen[key[docs]] = True
    return int(seen.sum())


def texts_digest(t: Table, docs: np.ndarray) -> tuple[str, int]:
    """Return the SHA-256 (hex) of the distinct texts among documents, and how many there are.

    The bytes hashed are those of `archive.documents.texts_digest`: each content hash and a
    newline, in sorted order. The codes of `t.hash` follow the sorted values, so marking the codes
    seen and taking them in order gives the sorted list without sorting strings; the lines are
    one fixed-width byte array (all content hashes have one length), joined by numpy.
    """
    from archive.documents import texts_digest as reference

    seen = np.zeros(t.groups, dtype=bool)
    if len(docs):
        codes = t.hash[docs]
        seen[codes[codes >= 0]] = True
    picked = np.flatnonzero(seen)
    lines = t.hash_lines()
    if lines is None:  # content hashes of different lengths (not written by this version): the plain way
        return reference(t.hash_values[i] for i in picked), len(picked)
    return hashlib.sha256(lines[picked].tobytes()).hexdigest(), len(picked)


def sorted_or_unique(a: np.ndarray) -> np.ndarray:
    """Return an integer array's sorted distinct values: the array itself when it already is (one pass)."""
    if len(a) < 2 or bool(np.all(a[1:] > a[:-1])):
        return a
    return unique(a)


def union(size: int, parts: list[np.ndarray]) -> np.ndarray:
    """Return the sorted distinct documents (numbers below `size`) of several arrays.

    Many documents are marked in an array of flags, one per document, instead of being sorted
    (a prefix that expands to hundreds of words at a million documents); a few are sorted.
    """
    if not parts:
        return _EMPTY
    if sum(len(p) for p in parts) * _MARK_RATIO < size:
        return unique(np.concatenate(parts))
    marked = np.zeros(size, dtype=bool)
    for p in parts:
        marked[p] = True
    return np.flatnonzero(marked)


def without(size: int, docs: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Return the sorted documents `docs` (numbers below `size`, distinct) that are not in `out`."""
    return docs[absent(size, docs, out)] if len(docs) and len(out) else docs


def absent(size: int, docs: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Return, for each of the distinct documents `docs` (numbers below `size`), whether `out` lacks it."""
    if (len(docs) + len(out)) * _MARK_RATIO < size:
        return ~np.isin(docs, out, assume_unique=True)
    marked = np.zeros(size, dtype=bool)
    marked[out] = True
    return ~marked[docs]


# Below one document in this many, sorting the documents costs less than a flag for every document.
_MARK_RATIO = 16


def unique(a: np.ndarray) -> np.ndarray:
    """Return the sorted distinct values of an integer array (sorting beats np.unique's hashing here)."""
    return phrases.distinct_sorted(np.sort(a)) if len(a) > 1 else a


def facet_values(t: Table, docs: np.ndarray, name: str, stories: bool = False) -> dict[str, int]:
    """Return {value: distinct texts} of one field among documents (values as indexed); with
    `stories`, {value: stories} (`Table.story_codes`, built before)."""
    key, groups = t.grouping(stories)
    col = t.fields[name]
    codes = col.codes[docs]
    keep = codes >= 0
    pairs = unique(codes[keep] * max(groups, 1) + key[docs][keep])
    counts = np.bincount(pairs // max(groups, 1), minlength=len(col.values))
    return {col.values[i]: int(c) for i in np.flatnonzero(counts) for c in (counts[i],)}
