"""A posting pool that groups postings by term as they come, instead of sorting every posting.

Whoosh's `PostingPool` keeps one tuple per posting (field, term, document, weight, value), sorts
them all when the segment is written, and past its memory limit pickles every tuple to a run
file, reads them back one by one and merges them with `heapq`: most of a build's time went
there. This pool appends each posting to its term's arrays (a document number, a weight, a
value), so a segment needs only its distinct terms sorted; documents arrive in order, so each
term's postings already are. Past the memory limit the terms go to a run file a term at a time
(one pickle per term, not per posting), and runs are merged term by term.

It yields exactly the postings, in exactly the order, Whoosh's pool yields (a test compares the
segments written both ways posting by posting).
"""

from __future__ import annotations

import heapq
import pickle
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.filedb.filestore import Storage

Posting = tuple[str, bytes, int, float, Any]
# Estimated bytes a posting and a new term hold in memory (CPython objects and their containers).
POSTING_BYTES = 56
TERM_BYTES = 420


class _Term:
    __slots__ = ("docs", "weights", "values", "ordered")

    def __init__(self) -> None:
        self.docs = array("i")
        self.weights = array("d")
        self.values: list[Any] = []
        self.ordered = True  # documents strictly increasing (else sorted when read, as Whoosh would)


class TermPool:
    """Whoosh's posting pool interface (`add`, `iter_postings`, `cleanup`), grouping by term."""

    def __init__(self, tempstore: Storage, segment: Any = None, limitmb: int = 128, **_: Any) -> None:
        self.tempstore, self.segment = tempstore, segment
        self.limit = limitmb * 1024 * 1024
        self.currentsize = 0
        self.terms: dict[tuple[str, bytes], _Term] = {}
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []

    def add(self, item: Posting) -> None:
        """Add one posting (field name, term bytes, document number, weight, value bytes)."""
        fieldname, text, docnum, weight, value = item
        key = (fieldname, text)
        term = self.terms.get(key)
        if term is None:
            self.terms[key] = term = _Term()
            self.fieldnames.add(fieldname)
            self.currentsize += TERM_BYTES + len(text)
        elif term.ordered and docnum <= term.docs[-1]:
            term.ordered = False
        term.docs.append(docnum)
        term.weights.append(weight)
        term.values.append(value)
        self.currentsize += POSTING_BYTES + (len(value) if value is not None else 0)
        if self.currentsize > self.limit:
            self.save()

    def save(self) -> None:
        """Write the terms held in memory to a run file, in term order, and forget them."""
        if not self.terms:
            return
        name = f"{_random_name()}.tpool"
        with self.tempstore.create_file(name).raw_file() as f:
            # One pickle per term, each with its own memo: a shared one would keep every term of
            # the run alive in the process that reads it back.
            for key in sorted(self.terms):
                t = self.terms[key]
                pickle.dump((key, t.docs.tobytes(), t.weights.tobytes(), t.values, t.ordered), f,
                            pickle.HIGHEST_PROTOCOL)
        self.runs.append(name)
        self.terms, self.currentsize = {}, 0

    def iter_terms(self) -> Iterator[tuple[str, bytes, Sequence[int], Sequence[float], list[Any]]]:
        """Yield (field, term, documents, weights, values) per term, in term order, each sorted as Whoosh sorts."""
        if not self.runs:
            terms, self.terms = self.terms, {}
            for held in sorted(terms):
                t = terms[held]
                yield _term(held, [(t.docs, t.weights, t.values, t.ordered)])
            return
        self.save()
        runs, self.runs = self.runs, []
        try:
            merged = heapq.merge(*(self._read_run(name, n) for n, name in enumerate(runs)))
            key: tuple[str, bytes] | None = None
            parts: list[tuple[array, array, list, bool]] = []
            for got_key, _, docs, weights, values, ordered in merged:
                if got_key != key and key is not None:
                    yield _term(key, parts)
                    parts = []
                key = got_key
                parts.append((docs, weights, values, ordered))
            if key is not None:
                yield _term(key, parts)
        finally:
            for name in runs:
                self._remove(name)

    def iter_postings(self) -> Iterator[Posting]:
        """Yield every posting sorted by (field, term, document, weight, value), as Whoosh's pool does."""
        for fieldname, text, docs, weights, values in self.iter_terms():
            for d, w, v in zip(docs, weights, values):
                yield fieldname, text, d, w, v

    def _read_run(self, name: str, n: int) -> Iterator[tuple]:
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    key, docs, weights, values, ordered = pickle.load(f)
                except EOFError:
                    return
                d, w = array("i"), array("d")
                d.frombytes(docs)
                w.frombytes(weights)
                yield key, n, d, w, values, ordered

    def _remove(self, name: str) -> None:
        try:
            self.tempstore.delete_file(name)
        except OSError:
            pass

    def cleanup(self) -> None:
        """Remove the run files (a writer that is cancelled or closed)."""
        for name in self.runs:
            self._remove(name)
        self.runs, self.terms = [], {}


def _term(key: tuple[str, bytes], parts: list[tuple[array, array, list, bool]]
          ) -> tuple[str, bytes, Sequence[int], Sequence[float], list[Any]]:
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


def _random_name() -> str:
    from whoosh.util import random_name

    return str(random_name())
