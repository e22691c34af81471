"""A posting pool that keeps each field's postings in flat arrays and groups them by term once.

Whoosh's `PostingPool` keeps one tuple per posting (field, term, document, weight, value), sorts
them all when the segment is written, and past its memory limit pickles every tuple to a run
file, reads them back one by one and merges them with `heapq`: most of a build's time went
there. This pool numbers each field's terms as they first come and appends a posting as four
flat entries (term number, document, weight, value): no object per posting or per term. When
the segment is written, one stable numpy sort of the term numbers groups every term's postings;
documents arrive in order, so each term's postings already are. Past the memory limit each field's
postings, sorted by term, go to a run file as flat arrays (terms, postings per term, documents,
weights) and the values pickled a group of whole terms at a time; the runs are read back a few
groups at a time and merged a field at a time, their terms already sorted.

It yields exactly the postings, in exactly the order, Whoosh's pool yields (a test compares the
segments written both ways posting by posting).
"""

from __future__ import annotations

import bisect
import pickle
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

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

        Postings are reordered by term in numpy arrays (the values in an array of their objects),
        so the grouping holds little more than the postings: no Python list of every document
        number or weight of the field at once.
        """
        if not self.numbers:
            return
        ordered = self.ordered
        terms, counts, order = _term_order(self)
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        self.docs = array("i")
        weights = np.frombuffer(self.weights, dtype=np.float64)[order]
        self.weights = array("d")
        byterm = _take_values(self, order)
        del order
        a = 0
        for text, b in zip(terms, np.cumsum(counts).tolist()):
            yield text, docs[a:b].tolist(), weights[a:b].tolist(), byterm[a:b].tolist(), ordered
            a = b


def _term_order(f: _Field) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """Return a field's terms in order, each one's number of postings, and the order that sorts its
    postings by term (each term's in arrival order); forget the postings' term numbers."""
    numbers = f.numbers
    terms = sorted(numbers)
    nt = len(terms)
    rank = np.empty(nt, dtype=np.int32)
    rank[np.fromiter(map(numbers.__getitem__, terms), dtype=np.int64, count=nt)] = np.arange(nt, dtype=np.int32)
    key = rank[np.frombuffer(f.terms, dtype=np.int32)]
    f.terms, f.numbers = array("i"), {}
    return terms, np.bincount(key, minlength=nt).astype(np.int32), np.argsort(key, kind="stable")


def _take_values(f: _Field, order: np.ndarray) -> np.ndarray:
    """Return a field's values in `order`, as an array of the same objects (a shared value stays
    shared), and forget them."""
    values = np.empty(len(order), dtype=object)
    values[:] = f.values
    f.values = []
    return values[order]


# A run file's values are pickled in groups of whole terms of at least this many postings: one
# pickle per group keeps a term's shared value objects shared when read back (as one pickle per
# term did), with a call per group instead of per term.
GROUP_POSTINGS = 4096
# Postings the merge holds at once from all the runs of a field, as Python objects (about 100
# bytes each): each run's reader takes its share, at least one group.
MERGE_POSTINGS = 1 << 18


@dataclass
class _RunField:
    """Where one field's postings are in a run file.

    From `offset`, the file holds: the terms' bytes end to end, their lengths (int32), their
    postings counts (int32), the documents (int32), the weights (float64), the values' pickles (one
    per group of whole terms), then the groups' table: three int64 arrays of `groups` + 1 entries,
    each group's first term, first posting and the offset of its pickle in the values' section.
    """

    offset: int
    terms: int
    postings: int
    termbytes: int
    valuebytes: int
    groups: int
    ordered: bool

    def at(self, section: int, index: int = 0) -> int:
        """Return the file offset of an entry of a section: 0 term bytes, 1 term lengths, 2 counts,
        3 documents, 4 weights, 5 values' pickles (`index` is a byte offset), 6 groups' table."""
        t, n = self.terms, self.postings
        starts = (0, self.termbytes, self.termbytes + 4 * t, self.termbytes + 8 * t, self.termbytes + 8 * t + 4 * n,
                  self.termbytes + 8 * t + 12 * n, self.termbytes + 8 * t + 12 * n + self.valuebytes)
        size = (1, 4, 4, 4, 8, 1, 8)[section]
        return self.offset + starts[section] + size * index


def _write_field(out: BinaryIO, f: _Field, offset: int) -> _RunField:
    """Write a field's postings to a run file at `offset`, sorted by term (each term's in arrival order), and
    forget them."""
    terms, counts, order = _term_order(f)
    nt, n = len(terms), len(order)
    ends = np.cumsum(counts, dtype=np.int64)
    # Groups of whole terms: a group ends with the term that reaches or passes a multiple of GROUP_POSTINGS.
    cuts = np.unique(np.searchsorted(ends, np.arange(GROUP_POSTINGS, n, GROUP_POSTINGS), side="left") + 1)
    group_terms = np.concatenate(([0], cuts[cuts < nt], [nt])).astype(np.int64)
    group_postings = np.concatenate(([0], ends[group_terms[1:] - 1])).astype(np.int64)
    lengths = np.fromiter(map(len, terms), dtype=np.int32, count=nt)
    termbytes = b"".join(terms)
    del terms
    out.write(termbytes)
    arrays: list[np.ndarray] = [lengths, counts, np.frombuffer(f.docs, dtype=np.int32)[order],
                                np.frombuffer(f.weights, dtype=np.float64)[order]]
    for arr in arrays:
        out.write(arr.data)
    del arrays, arr
    f.docs, f.weights = array("i"), array("d")
    values = _take_values(f, order)
    del order
    # One pickle per group: a value object a term's postings share comes back shared, as it was
    # held (and as Whoosh's writer pickles it, once per block).
    group_values = [0]
    bounds = group_postings.tolist()
    for a, b in zip(bounds, bounds[1:]):
        data = pickle.dumps(values[a:b].tolist(), pickle.HIGHEST_PROTOCOL)
        out.write(data)
        group_values.append(group_values[-1] + len(data))
    for arr in (group_terms, group_postings, np.array(group_values, dtype=np.int64)):
        out.write(arr.data)
    return _RunField(offset, nt, n, len(termbytes), group_values[-1], len(group_terms) - 1, f.ordered)


class _Reader:
    """One field's postings in one run file, read in term order a few groups at a time."""

    def __init__(self, raw: BinaryIO, layout: _RunField, budget: int) -> None:
        self.raw, self.layout, self.budget = raw, layout, budget
        table = np.frombuffer(self._read(layout.at(6), 8 * 3 * (layout.groups + 1)), dtype=np.int64)
        self.group_terms, self.group_postings, self.group_values = (
            table.reshape(3, layout.groups + 1).tolist())
        self.group = 0  # the next group to read
        self.termbyte = 0  # where the next group's terms' bytes begin in the terms' bytes
        self.terms: list[bytes] = []  # the terms of the groups read last, and their postings
        self.ends: list[int] = []  # per term read, the end of its postings in the lists below
        self.docs: list[int] = []
        self.weights: list[float] = []
        self.values: list[Any] = []
        self.next = 0  # the next term of `terms` to hand out

    @property
    def more(self) -> bool:
        """Whether groups are left to read after the terms read."""
        return self.group < self.layout.groups

    def _read(self, at: int, size: int) -> bytes:
        self.raw.seek(at)
        return self.raw.read(size)

    def load(self) -> None:
        """Read the next groups: at least one, and as many as fit in the reader's budget of postings."""
        lay, g0 = self.layout, self.group
        gp = self.group_postings
        g1 = g0 + 1
        while g1 < lay.groups and gp[g1 + 1] - gp[g0] <= self.budget:
            g1 += 1
        self.group = g1
        t0, t1 = self.group_terms[g0], self.group_terms[g1]
        p0, p1 = gp[g0], gp[g1]
        lengths = np.frombuffer(self._read(lay.at(1, t0), 4 * (t1 - t0)), dtype=np.int32)
        counts = np.frombuffer(self._read(lay.at(2, t0), 4 * (t1 - t0)), dtype=np.int32)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        blob = self._read(lay.at(0, self.termbyte), int(offsets[-1]))
        self.termbyte += int(offsets[-1])
        bounds = offsets.tolist()
        self.terms = [blob[a:b] for a, b in zip(bounds, bounds[1:])]
        self.ends = np.cumsum(counts, dtype=np.int64).tolist()
        self.docs = np.frombuffer(self._read(lay.at(3, p0), 4 * (p1 - p0)), dtype=np.int32).tolist()
        self.weights = np.frombuffer(self._read(lay.at(4, p0), 8 * (p1 - p0)), dtype=np.float64).tolist()
        gv = self.group_values
        data = memoryview(self._read(lay.at(5, gv[g0]), gv[g1] - gv[g0]))
        values: list[Any] = []
        for a, b in zip(gv[g0:g1], gv[g0 + 1:g1 + 1]):
            values += pickle.loads(data[a - gv[g0]:b - gv[g0]])
        self.values = values
        self.next = 0

    def part(self, k: int) -> tuple[list[int], list[float], list[Any]]:
        """Return the postings of the `k`th term read."""
        a, b = (self.ends[k - 1] if k else 0), self.ends[k]
        return self.docs[a:b], self.weights[a:b], self.values[a:b]


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
        self.layouts: list[dict[str, _RunField]] = []  # per run, where each field's postings are
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
        """Write the postings held in memory to a run file, a field at a time sorted by term, and forget them."""
        if not self.fields:
            return
        name = f"{_random_name()}.tpool"
        fields, self.fields, self.currentsize = self.fields, {}, 0
        layouts: dict[str, _RunField] = {}
        with self.tempstore.create_file(name).raw_file() as out:
            offset = 0
            for fieldname in sorted(fields):
                f = fields.pop(fieldname)
                if not f.numbers:
                    continue
                docs = np.frombuffer(f.docs, dtype=np.int32)
                self.spans.setdefault(fieldname, []).append((int(docs.min()), int(docs.max()), f.ordered))
                del docs
                layouts[fieldname] = _write_field(out, f, offset)
                offset = out.tell()
        self.runs.append(name)
        self.layouts.append(layouts)

    def _in_order(self, fieldname: str) -> bool:
        """Return True when every term of a field has its runs' postings in document order, one run after another."""
        spans = self.spans.get(fieldname, [])
        return all(ordered for _, _, ordered in spans) and all(a[1] < b[0] for a, b in zip(spans, spans[1:]))

    def iter_term_parts(self) -> Iterator[tuple[str, bytes, Iterator[Part]]]:
        """Yield (field, term, parts) per term, in term order: its postings a run at a time, in document order.

        Each run is read a few groups of terms at a time (`MERGE_POSTINGS` postings for all the
        runs of a field), so the runs are never held whole. A field whose runs are not in
        document order has each term's postings gathered and sorted first, as Whoosh would.
        Each term's parts must be consumed before the next term is asked for.
        """
        if not self.runs:
            for (fieldname, text), docs, weights, values, ordered in self._held():
                yield _parts(fieldname, text, [(docs, weights, values, ordered)])
            return
        self.save()
        runs, self.runs = self.runs, []
        layouts, self.layouts = self.layouts, []
        files: list[Any] = []
        try:
            for name in runs:
                files.append(self.tempstore.open_file(name).raw_file())
            for fieldname in sorted({fieldname for layout in layouts for fieldname in layout}):
                held = [(raw, layout[fieldname]) for raw, layout in zip(files, layouts) if fieldname in layout]
                budget = max(1, MERGE_POSTINGS // len(held))
                readers = [_Reader(raw, lay, budget) for raw, lay in held]
                stream = self._in_order(fieldname)
                for text, owners in _merge(readers):
                    if stream:
                        yield fieldname, text, iter([r.part(k) for r, k in owners])
                    else:
                        yield _parts(fieldname, text, [(*r.part(k), r.layout.ordered) for r, k in owners])
        finally:
            for raw in files:
                raw.close()
            for name in runs:
                self._remove(name)
            self.spans = {}

    def iter_postings(self) -> Iterator[Posting]:
        """Yield every posting sorted by (field, term, document, weight, value), as Whoosh's pool does."""
        for fieldname, text, parts in self.iter_term_parts():
            for docs, weights, values in parts:
                for d, w, v in zip(docs, weights, values):
                    yield fieldname, text, d, w, v

    def _remove(self, name: str) -> None:
        try:
            self.tempstore.delete_file(name)
        except OSError:
            pass

    def cleanup(self) -> None:
        """Remove the run files (a writer that is cancelled or closed)."""
        for name in self.runs:
            self._remove(name)
        self.runs, self.layouts, self.fields, self.currentsize, self.spans = [], [], {}, 0, {}


def _merge(readers: list[_Reader]) -> Iterator[tuple[bytes, list[tuple[_Reader, int]]]]:
    """Yield (term, [(reader, its index of the term), ...]) per term of a field's runs, in term order, the
    runs in their order.

    A window at a time: every term up to the smallest of the last terms read by the readers that
    have more to read is in what they have read, so those terms are merged (one sort of their
    already sorted lists) and the readers that ran out read on.
    """
    for r in readers:
        r.load()
    live = [r for r in readers if r.terms]
    end = object()
    while live:
        lasts = [r.terms[-1] for r in live if r.more]
        bound = min(lasts) if lasts else None
        cuts = [len(r.terms) if bound is None else bisect.bisect_right(r.terms, bound, r.next) for r in live]
        taking = [(r, cut) for r, cut in zip(live, cuts) if cut > r.next]
        if len(taking) == 1:
            r, cut = taking[0]
            terms = r.terms
            for k in range(r.next, cut):
                yield terms[k], [(r, k)]
        elif taking:
            keys: list[bytes] = []
            owners: list[tuple[_Reader, int]] = []
            for r, cut in taking:
                keys += r.terms[r.next:cut]
                owners += [(r, k) for k in range(r.next, cut)]
            prev: Any = end
            group: list[tuple[_Reader, int]] = []
            for i in sorted(range(len(keys)), key=keys.__getitem__):  # stable: a term's runs stay in order
                text = keys[i]
                if text != prev:
                    if group:
                        yield prev, group
                    prev, group = text, [owners[i]]
                else:
                    group.append(owners[i])
            if group:
                yield prev, group
        for r, cut in zip(live, cuts):
            r.next = cut
            if cut == len(r.terms) and r.more:
                r.load()
        live = [r for r in live if r.next < len(r.terms)]


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
