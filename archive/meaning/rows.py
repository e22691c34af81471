"""What the meaning model keeps of each document besides its vector, as columns.

Ids and content hashes are byte strings in numpy arrays; source, language and date are codes into
their distinct values. A document is found by id through the ids' sorted order, and copies of a
text are counted from the sorted distinct hashes: some 80 bytes a document in all, where a `Row`
object each with a dict by id took over 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from archive.documents import Document

CODED = ("source", "lang", "date")  # row fields kept as codes into their distinct values
BLOCK = 2_000  # rows gathered as Python strings before they become arrays


@dataclass
class Row:
    """What the model keeps of one document besides its vector."""

    id: str
    hash: str
    source: str = ""
    lang: str = ""
    date: str = ""


class Rows:
    """Every document's row, as columns: ids and content hashes as byte strings, the rest as codes.

    A row costs some 50 bytes (a `Row` object with its strings and an entry in a dict by id cost
    ten times that); a document is found by id through the ids' sorted order.
    """

    def __init__(self, ids: np.ndarray, hashes: np.ndarray, codes: dict[str, np.ndarray],
                 values: dict[str, list[str]]):
        self.ids = ids
        self.hashes = hashes
        self.codes = codes  # per field of CODED: each row's code into values (-1: none)
        self.values = values

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Row:
        return Row(self.ids[i].decode(), self.hashes[i].decode(),
                   *(self.value(name, i) for name in CODED))

    def value(self, name: str, i: int) -> str:
        """Return a row's source, lang or date ("" when it has none)."""
        code = int(self.codes[name][i])
        return self.values[name][code] if code >= 0 else ""

    def hash_of(self, i: int) -> str:
        """Return a row's content hash."""
        return str(self.hashes[i].decode())

    @cached_property
    def _by_id(self) -> np.ndarray:
        return np.argsort(self.ids, kind="stable")

    def find(self, doc_id: str) -> int | None:
        """Return the row of a document, or None when the model has none."""
        at = int(self.find_all([doc_id])[0])
        return at if at >= 0 else None

    def find_all(self, doc_ids: list[str]) -> np.ndarray:
        """Return the row of each document (-1 where the model has none), found together in one search."""
        keys = np.asarray([d.encode() for d in doc_ids], dtype=bytes)
        if not len(self.ids) or not len(keys):
            return np.full(len(keys), -1, dtype=np.int64)
        # Searched for cut to the ids' width (no copy of the ids at another width); an id cut short
        # finds a row whose id differs from it, so it counts as absent.
        at = np.searchsorted(self.ids, keys.astype(self.ids.dtype), sorter=self._by_id)
        rows = self._by_id[np.minimum(at, len(self.ids) - 1)]
        return np.where(self.ids[rows] == keys, rows, -1)

    def unchanged(self, docs: list[Document]) -> np.ndarray:
        """Return each document's row when the model holds it with the same text (content hash), else -1."""
        at = self.find_all([d.id for d in docs])
        hashes = np.asarray([d.content_hash.encode() for d in docs], dtype=bytes)
        same = (at >= 0) & (self.hashes[np.maximum(at, 0)] == hashes) if len(self) else at >= 0
        return np.where(same, at, -1)

    @cached_property
    def _copies(self) -> tuple[np.ndarray, np.ndarray]:
        return np.unique(self.hashes, return_counts=True)

    def copies(self, text_hash: str) -> int:
        """Return how many documents hold a text (by content hash)."""
        distinct, counts = self._copies
        key = text_hash.encode()
        at = int(np.searchsorted(distinct, key))
        return int(counts[at]) if at < len(distinct) and distinct[at] == key else 0

    def kept(self, allowed: set[str] | None, leave_out: frozenset[str] | set[str]) -> np.ndarray:
        """Return which rows hold a text among `allowed` (any when None) and not in `leave_out`."""
        keep = np.ones(len(self), dtype=bool)
        if allowed is not None:
            keep &= np.isin(self.hashes, _bytes(allowed))
        if leave_out:
            keep &= ~np.isin(self.hashes, _bytes(leave_out))
        return keep

    @cached_property
    def facet_codes(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Return, per facet (source, year, lang, month), each row's value as a code (-1: none) and the values."""
        out = {"source": (self.codes["source"], self.values["source"]),
               "lang": (self.codes["lang"], self.values["lang"])}
        for name, chars in (("year", 4), ("month", 7)):
            values: dict[str, int] = {}
            recode = np.asarray([values.setdefault(d[:chars], len(values)) for d in self.values["date"]] + [-1],
                                dtype=np.int32)  # a date's code to its year's (or month's); -1 stays -1
            out[name] = (recode[self.codes["date"]], list(values))
        return out

    def columns(self) -> dict[str, np.ndarray]:
        """Return the rows as named arrays (as stored in rows.npz)."""
        out = {"id": self.ids, "hash": self.hashes}
        for name in CODED:
            out[name] = self.codes[name]
            out[f"{name}_values"] = np.asarray(self.values[name], dtype=str)
        return out

    @classmethod
    def from_columns(cls, cols: Any) -> Rows:
        """Return the rows stored by `columns`."""
        return cls(cols["id"], cols["hash"], {n: np.asarray(cols[n], dtype=np.int32) for n in CODED},
                   {n: [str(v) for v in cols[f"{n}_values"]] for n in CODED})


def _bytes(strings: Iterable[str]) -> np.ndarray:
    return np.asarray([s.encode() for s in strings], dtype=bytes)


def row_of(doc: Document) -> tuple[str, str, str, str, str]:
    """Return a document's row as plain values: id, content hash, then source, lang and date (CODED)."""
    return doc.id, doc.content_hash, doc.source, doc.language, doc.date


class RowsBuilder:
    """Rows gathered one document at a time, made compact arrays every `BLOCK` documents.

    Each column is kept as a list of blocks; `rows()` joins a column's blocks into one array that
    takes their place, so no column is ever held twice and a join needs room for one column only.
    """

    def __init__(self) -> None:
        self._ids: list[bytes] = []
        self._hashes: list[bytes] = []
        self._codes: dict[str, list[int]] = {name: [] for name in CODED}
        self._blocks: dict[str, list[np.ndarray]] = {name: [] for name in ("id", "hash", *CODED)}
        self._values: dict[str, dict[str, int]] = {name: {} for name in CODED}

    def add(self, doc: Document) -> None:
        """Add a document's row."""
        self.add_row(*row_of(doc))

    def add_row(self, doc_id: str, text_hash: str, *coded: str) -> None:
        """Add a row: id, content hash, then source, lang and date."""
        self._ids.append(doc_id.encode())
        self._hashes.append(text_hash.encode())
        for name, value in zip(CODED, coded):
            values = self._values[name]
            self._codes[name].append(values.setdefault(value, len(values)) if value else -1)
        if len(self._ids) >= BLOCK:
            self._flush()

    def _flush(self) -> None:
        if not self._ids:
            return
        pending: list[tuple[str, list[Any], type]] = [("id", self._ids, bytes), ("hash", self._hashes, bytes)]
        pending += [(name, self._codes[name], np.int32) for name in CODED]
        for name, values, dtype in pending:
            self._blocks[name].append(np.asarray(values, dtype=dtype))
            values.clear()

    def rows(self) -> Rows:
        """Return the rows added."""
        self._flush()
        return Rows(_joined(self._blocks["id"], "S1"), _joined(self._blocks["hash"], "S1"),
                    {n: _joined(self._blocks[n], np.int32) for n in CODED}, {n: list(self._values[n]) for n in CODED})


def _joined(blocks: list[np.ndarray], empty: Any) -> np.ndarray:
    """Return a column's blocks as one array (of dtype `empty` when there are none), which takes their
    place in the list: the blocks are freed before the next column is joined."""
    if not blocks:
        return np.zeros(0, dtype=empty)
    if len(blocks) > 1:
        blocks[:] = [np.concatenate(blocks)]
    return blocks[0]
