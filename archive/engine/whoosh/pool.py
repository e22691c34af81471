"""A posting pool that keeps each field's postings in flat arrays and groups them by term once.

Whoosh's `PostingPool` keeps one tuple per posting (field, term, document, weight, value), sorts
them all when the segment is written, and past its memory limit pickles every tuple to a run
file, reads them back one by one and merges them with `heapq`: most of a build's time went
there. This pool numbers each field's terms as they first come and appends a posting as four
flat entries (term number, document, weight, value): no object per posting or per term. When
the segment is written, one stable numpy sort of the term numbers groups every term's postings;
documents arrive in order, so each term's postings already are. Past the memory limit the terms
go to a run file a term at a time (one pickle per term, not per posting), and runs are merged
term by term.

It yields exactly the postings, in exactly the order, Whoosh's pool yields (a test compares the
segments written both ways posting by posting).
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from whoosh.filedb.filestore import Storage

Posting = tuple[str, bytes, int, float, Any]
Term = tuple[str, bytes, Sequence[int], Sequence[float], list[Any]]
Part = tuple[Sequence[int], Sequence[float], Sequence[Any]]  # a run's postings of one term: documents, weights, values
# Estimated bytes a posting and a new term hold in memory: a posting is four array or list entries
# (its value is mostly a shared bytes object, see fields.py); a term is a dict entry, its number
# and its bytes object. Measured with tracemalloc on 3,000 Reuters texts' three body fields: 36.2 MB
# held for 644,222 postings of 95,989 terms, estimated at 37.3 MB.
POSTING_BYTES = 40
TERM_BYTES = 130


class _Field:
    """One field's postings in arrival order."""

    __slots__ = ("numbers", "terms", "docs", "weights", "values", "lastdoc", "lastterms", "ordered")

    def __init__(self) -> None:
        self.numbers: dict[bytes, int] = {}  # term -> its number, in order of first arrival
        self.terms = array("i")  # per posting: the term's number
        self.docs = array("i")
        self.weights = array("d")
        self.values: list[Any] = []
        self.lastdoc = -1
        self.lastterms: set[bytes] = set()  # the terms of `lastdoc` added one posting at a time
        self.ordered = True  # every term's documents strictly increasing (else sorted when read, as Whoosh would)

    def grouped(self) -> Iterator[tuple[bytes, list[int], list[float], list[Any], bool]]:
        """Yield (term, documents, weights, values, ordered) per term, in term order, and forget the postings.

        Postings are reordered by term in numpy arrays and in the values list itself (a chunk at a
        time), so the grouping holds little more than the postings: no Python list of every
        document number or weight of the field at once.
        """
        numbers = self.numbers
        if not numbers:
            return
        tn = np.frombuffer(self.terms, dtype=np.int32)
        order = np.argsort(tn, kind="stable")
        ends = np.cumsum(np.bincount(tn, minlength=len(numbers))).tolist()
        del tn
        self.terms = array("i")
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        self.docs = array("i")
        weights = np.frombuffer(self.weights, dtype=np.float64)[order]
        self.weights = array("d")
        values, self.values = self.values, []
        byterm: list[Any] = []
        for a in range(0, len(order), _CHUNK):
            byterm += [values[i] for i in order[a:a + _CHUNK].tolist()]
        del values, order
        ordered = self.ordered
        for text in sorted(numbers):
            n = numbers[text]
            a, b = (ends[n - 1] if n else 0), ends[n]
            yield text, docs[a:b].tolist(), weights[a:b].tolist(), byterm[a:b], ordered


_CHUNK = 1 << 16


class TermPool:
    """Whoosh's posting pool interface (`add`, `iter_postings`, `cleanup`), grouping by term.

    `add_field` takes a whole field of one document at once (the writer's fast path).
    """

    def __init__(self, tempstore: Storage, segment: Any = None, limitmb: float = 128, **_: Any) -> None:
        self.tempstore, self.segment = tempstore, segment
        self.limit = limitmb * 1024 * 1024
        self.currentsize = 0
        self.fields: dict[str, _Field] = {}
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []
        # Per field, (first document, last document, ordered) of each run written: a field whose
        # runs follow each other and are each in order has its terms' runs in document order.
        self.spans: dict[str, list[tuple[int, int, bool]]] = {}

    def _field(self, fieldname: str) -> _Field:
        f = self.fields.get(fieldname)
        if f is None:
            f = self.fields[fieldname] = _Field()
            self.fieldnames.add(fieldname)
        return f

    def add(self, item: Posting) -> None:
        """Add one posting (field name, term bytes, document number, weight, value bytes)."""
        fieldname, text, docnum, weight, value = item
        f = self._field(fieldname)
        if docnum == f.lastdoc and text in f.lastterms:
            f.ordered = False
        self.add_field(fieldname, docnum, [text], [weight], [value], single=True)
        f.lastterms.add(text)

    def add_field(self, fieldname: str, docnum: int, texts: list[bytes], weights: list[float], values: list[Any],
                  single: bool = False) -> None:
        """Add a document's postings in one field: its distinct terms, their weights and encoded values.

        `single`: one posting of a document whose other postings may come in other calls (`add`).
        """
        f = self._field(fieldname)
        if docnum < f.lastdoc or (docnum == f.lastdoc and not single):
            f.ordered = False
        elif docnum > f.lastdoc:
            f.lastdoc = docnum
            if f.lastterms:
                f.lastterms.clear()
        numbers = f.numbers
        get = numbers.get
        nums = [get(t, -1) for t in texts]
        newterms = 0
        if -1 in nums:
            for k, n in enumerate(nums):
                if n < 0:
                    text = texts[k]
                    nums[k] = numbers[text] = len(numbers)
                    newterms += TERM_BYTES + len(text)
        f.terms.extend(nums)
        f.docs.extend(array("i", (docnum,)) * len(nums))
        f.weights.extend(weights)
        f.values += values
        self.currentsize += len(nums) * POSTING_BYTES + newterms
        if self.currentsize > self.limit:
            self.save()

    def _held(self) -> Iterator[tuple[tuple[str, bytes], list[int], list[float], list[Any], bool]]:
        """Yield the terms held in memory in (field, term) order, and forget them."""
        fields, self.fields, self.currentsize = self.fields, {}, 0
        for fieldname in sorted(fields):
            for text, docs, weights, values, ordered in fields.pop(fieldname).grouped():
                yield (fieldname, text), docs, weights, values, ordered

    def save(self) -> None:
        """Write the terms held in memory to a run file, in term order, and forget them."""
        if not self.fields:
            return
        name = f"{_random_name()}.tpool"
        for fieldname, f in self.fields.items():
            if len(f.docs):
                docs = np.frombuffer(f.docs, dtype=np.int32)
                self.spans.setdefault(fieldname, []).append((int(docs.min()), int(docs.max()), f.ordered))
        with self.tempstore.create_file(name).raw_file() as f:
            # One pickle per term, each with its own memo: a shared one would keep every term of
            # the run alive in the process that reads it back.
            for held in self._held():
                pickle.dump(held, f, pickle.HIGHEST_PROTOCOL)
        self.runs.append(name)

    def _in_order(self, fieldname: str) -> bool:
        """Return True when every term of a field has its runs' postings in document order, one run after another."""
        spans = self.spans.get(fieldname, [])
        return all(ordered for _, _, ordered in spans) and all(a[1] < b[0] for a, b in zip(spans, spans[1:]))

    def iter_term_parts(self) -> Iterator[tuple[str, bytes, Iterator[Part]]]:
        """Yield (field, term, parts) per term, in term order: its postings a run at a time, in document order.

        A term's parts are read from the runs as they are consumed, so a frequent term's
        postings are never all held at once (at a million documents, a common word's would be
        a list of half a million entries per indexing process). A field whose runs are not in
        document order has each term's postings gathered and sorted first, as Whoosh would.
        Each term's parts must be consumed before the next term is asked for.
        """
        if not self.runs:
            for (fieldname, text), docs, weights, values, ordered in self._held():
                yield _parts(fieldname, text, [(docs, weights, values, ordered)])
            return
        self.save()
        runs, self.runs = self.runs, []
        try:
            merged = heapq.merge(*(self._read_run(name, n) for n, name in enumerate(runs)))
            streams = {name: self._in_order(name) for name in self.spans}
            for (fieldname, text), group in itertools.groupby(merged, key=lambda row: row[0]):
                if streams.get(fieldname, False):
                    yield fieldname, text, ((docs, weights, values) for _, _, docs, weights, values, _ in group)
                else:
                    yield _parts(fieldname, text, [(docs, weights, values, ordered)
                                                   for _, _, docs, weights, values, ordered in group])
        finally:
            for name in runs:
                self._remove(name)
            self.spans = {}

    def iter_postings(self) -> Iterator[Posting]:
        """Yield every posting sorted by (field, term, document, weight, value), as Whoosh's pool does."""
        for fieldname, text, parts in self.iter_term_parts():
            for docs, weights, values in parts:
                for d, w, v in zip(docs, weights, values):
                    yield fieldname, text, d, w, v

    def _read_run(self, name: str, n: int) -> Iterator[tuple]:
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    key, docs, weights, values, ordered = pickle.load(f)
                except EOFError:
                    return
                yield key, n, docs, weights, values, ordered

    def _remove(self, name: str) -> None:
        try:
            self.tempstore.delete_file(name)
        except OSError:
            pass

    def cleanup(self) -> None:
        """Remove the run files (a writer that is cancelled or closed)."""
        for name in self.runs:
            self._remove(name)
        self.runs, self.fields, self.currentsize, self.spans = [], {}, 0, {}


def _term(key: tuple[str, bytes], parts: list[tuple[list[int], list[float], list[Any], bool]]) -> Term:
    """Return one term's postings from its parts (runs in order) as (field, term, docs, weights, values)."""
    fieldname, text = key
    if len(parts) == 1 and parts[0][3]:
        docs, weights, values, _ = parts[0]
        return fieldname, text, docs, weights, values
    last, ordered = -1, True
    for docs, _, _, part_ordered in parts:
        if not part_ordered or (docs and docs[0] <= last):
            ordered = False
        if docs:
            last = docs[-1]
    if ordered:
        return (fieldname, text, [d for p in parts for d in p[0]], [w for p in parts for w in p[1]],
                [v for p in parts for v in p[2]])
    rows = sorted((d, w, v) for docs, weights, values, _ in parts for d, w, v in zip(docs, weights, values))
    return fieldname, text, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _parts(fieldname: str, text: bytes, parts: list[tuple[list[int], list[float], list[Any], bool]]
           ) -> tuple[str, bytes, Iterator[Part]]:
    """Return one term's postings gathered from its parts (sorted if they are not in order) as a single part."""
    _, _, docs, weights, values = _term((fieldname, text), parts)
    return fieldname, text, iter([(docs, weights, values)])


def _random_name() -> str:
    from whoosh.util import random_name

    return str(random_name())
