"""Posting arrays of frequent terms, written beside each segment when it is committed.

Reading a frequent term's postings through Whoosh decodes block after block in Python (zlib,
then a delta decode a number at a time): for a word in most documents of a 100,000-document
index that is tens of milliseconds, paid by every query that uses it. Segments never change
once written, so at commit time each new segment gets, for every term of the word fields found
in at least `MIN_DF` of its documents, its document numbers (int32) and weights (float32), in
two `.npy` files read with `mmap` and a key file saying where each term's slice is. Searches
read a slice; rarer terms, and segments without the files (older indexes, a commit whose files
are still being written), are read through Whoosh as before: the arrays hold the same numbers.
The files are named after their segment (`MAIN_<id>.arr*`), so Whoosh deletes them with it.

Terms of the fields phrases read (`*_exact`, `*_pairs`) also keep their positions: for each
posting, how many it has, and the positions in one flat array. A phrase check is then a join of
(document, position) keys in numpy instead of a pickle decoded per posting (phrases.py).

Version 2 keeps each posting's count of positions, not where they start: a count fits in one
byte where a start needed four. Version 1 files are still read.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pickle
import struct
import threading
import time
import weakref
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Literal, overload

import numpy as np
from numpy.lib import format as npy_format
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3TermsReader
from whoosh.compat import loads
from whoosh.fields import Schema
from whoosh.formats import Positions
from whoosh.index import Index
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

logger = logging.getLogger(__name__)

FIELDS = ("title", "body", "title_exact", "body_exact", "title_pairs", "body_pairs")
POSITION_FIELDS = frozenset(("title_exact", "body_exact", "title_pairs", "body_pairs"))
_COUNT = 4  # Whoosh's Positions values start with the count, an unsigned int
MIN_DF = 128  # one Whoosh block: rarer terms cost one block read either way
VERSION = 2
READ_VERSIONS = (1, 2)
RECHECK = 2.0  # seconds before looking again for the files of a segment that had none
MAX_SEGMENTS = 64

Slice = tuple[np.ndarray, np.ndarray]
# A term's documents, where each one's positions start in `positions` (one more entry than
# documents: the last is the end), and the positions themselves.
Positional = tuple[np.ndarray, np.ndarray, np.ndarray]


class _Array:
    """One `.npy` file, read a slice at a time with `pread`.

    Not a memory map: the kernel maps a faulting file in large chunks, so a server that read a
    few slices of mapped arrays showed hundreds of MB resident; a read copies only the slice
    (from the page cache, which the system shares and reclaims).
    """

    def __init__(self, path: str, wide: type = np.int32):
        self.wide = np.dtype(wide)  # what a read returns, whatever narrower type the file holds
        with open(path, "rb") as f:
            version = npy_format.read_magic(f)
            read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            self.offset = f.tell()
        if fortran or len(shape) != 1:
            raise ValueError(f"{path}: not a flat array")
        self.dtype = np.dtype(dtype)
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)

    def read(self, a: int, b: int) -> np.ndarray:
        """Return the elements a..b-1."""
        size = self.dtype.itemsize
        raw = os.pread(self.fd, (b - a) * size, self.offset + a * size)
        if len(raw) != (b - a) * size:
            raise OSError(f"short read in a posting array ({len(raw)} of {(b - a) * size} bytes)")
        got = np.frombuffer(raw, dtype=self.dtype)
        return got if self.dtype == self.wide else got.astype(self.wide)


class SegmentArrays:
    """The arrays of one segment: `get(field, term)` returns (docnums, weights) or None."""

    def __init__(self, base: str):
        with open(base + ".arrkeys", "rb") as f:
            meta = pickle.load(f)
        self.version = meta.get("version")
        if self.version not in READ_VERSIONS:
            raise ValueError("other version")
        self.keys: dict[tuple[str, str], tuple[int, int]] = meta["keys"]  # (start, end) in the ids
        self.ids = _Array(base + ".arrids.npy")
        self.weights = _Array(base + ".arrw.npy", np.float32)
        # Where a term's counts (version 1: starts) and its positions begin. Older arrays have no
        # positions: phrases decode theirs through Whoosh.
        self.pkeys: dict[tuple[str, str], tuple[int, int]] = meta.get("pkeys", {})
        if self.pkeys:
            self.counts = _Array(base + (".arrcnt.npy" if self.version >= 2 else ".arrpst.npy"))
            self.positions = _Array(base + ".arrpos.npy")

    def get(self, fieldname: str, text: str) -> Slice | None:
        """Return a term's document numbers (segment-local) and weights, or None if not kept."""
        where = self.keys.get((fieldname, text))
        if where is None:
            return None
        a, b = where
        return self.ids.read(a, b).astype(np.int64), self.weights.read(a, b).astype(np.float64)

    def positional(self, fieldname: str, text: str) -> Positional | None:
        """Return a term's documents, their position starts and the positions, or None if not kept."""
        at = self.pkeys.get((fieldname, text))
        if at is None:
            return None
        a, b = self.keys[(fieldname, text)]
        n = b - a
        c, first = at
        if self.version >= 2:
            starts = np.zeros(n + 1, dtype=np.int32)
            np.cumsum(self.counts.read(c, c + n), out=starts[1:])
        else:
            starts = self.counts.read(c, c + n + 1)
        return self.ids.read(a, b), starts, self.positions.read(first, first + int(starts[-1]))

    def has(self, fieldname: str, text: str) -> bool:
        """Return True when the term's postings are kept here."""
        return (fieldname, text) in self.keys


_cache: OrderedDict[str, SegmentArrays | float] = OrderedDict()
_lock = threading.Lock()


def for_segment(folder: str, segment_id: str) -> SegmentArrays | None:
    """Return the arrays of a segment, or None when it has none (yet)."""
    base = os.path.join(folder, segment_id)
    with _lock:
        hit = _cache.get(base)
        if isinstance(hit, SegmentArrays):
            _cache.move_to_end(base)
            return hit
        if isinstance(hit, float) and time.monotonic() < hit:
            return None
    try:
        arrays: SegmentArrays | float = SegmentArrays(base)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, KeyError):
        arrays = time.monotonic() + RECHECK
    with _lock:
        _cache[base] = arrays
        while len(_cache) > MAX_SEGMENTS:
            _cache.popitem(last=False)
    return arrays if isinstance(arrays, SegmentArrays) else None


def for_reader(folder: str | None, reader: IndexReader) -> SegmentArrays | None:
    """Return the arrays of a segment reader of the index in `folder` (see `folder_of`), or None."""
    segment = reader.segment()
    return for_segment(folder, segment.segment_id()) if folder and segment is not None else None


def write_all(ix: Index, min_df: int = MIN_DF) -> int:
    """Write the arrays of every segment of the index's last commit that has none; return how many."""
    folder = getattr(ix.storage, "folder", None)
    if folder is None:
        return 0
    written = 0
    with ix.reader() as reader:
        for sub, _ in reader.leaf_readers():
            segment = sub.segment()
            if segment is None:
                continue
            base = os.path.join(folder, segment.segment_id())
            if os.path.exists(base + ".arrkeys"):
                continue
            start = time.monotonic()
            _write_segment(sub, base, min_df)
            written += 1
            logger.debug("posting arrays of %s written in %.2f s", segment.segment_id(), time.monotonic() - start)
    return written


def _write_segment(reader: IndexReader, base: str, min_df: int) -> None:
    """Write a committed segment's arrays, reading its frequent terms' postings back through Whoosh."""
    with SegmentArraysWriter(base) as out:
        for fieldname in FIELDS:
            if fieldname not in reader.schema:
                continue
            with_positions = out.with_positions(reader.schema, fieldname)
            for btext, info in reader.iter_field(fieldname):
                if info.doc_frequency() < min_df:
                    continue
                text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
                got = read_postings(reader.postings(fieldname, text), with_positions)
                if got is not None:
                    out.add(fieldname, text, *got)


class SegmentArraysWriter:
    """Writes one segment's arrays a term at a time, in bounded memory; the key file last, on `close`.

    Each array goes to a raw temporary file as terms come and becomes its `.npy` file at the end
    (in the narrowest type that holds it, see `_Spool.save`), so a segment of a million documents
    does not hold its frequent terms' postings in memory. The segment's writer uses it while it
    writes the postings (`writer.write_terms`); `write_all` reads older segments back.
    """

    def __init__(self, base: str, min_df: int | None = None):
        self.base = base
        self.min_df = MIN_DF if min_df is None else min_df  # the module's threshold when made, by default
        self.keys: dict[tuple[str, str], tuple[int, int]] = {}
        self.pkeys: dict[tuple[str, str], tuple[int, int]] = {}
        # Not named "<segment>.*": Whoosh folds every such file into the segment's compound file.
        tag = f"{base}-arrays.{os.getpid()}.{threading.get_ident()}"
        self.spools = {name: _Spool(f"{tag}.{name}.raw", dtype) for name, dtype in _ARRAYS.items()}
        self.tmp = f"{tag}.tmp"

    @staticmethod
    def with_positions(schema: Schema, fieldname: str) -> bool:
        """Return True when a field's kept terms also keep their positions."""
        return fieldname in POSITION_FIELDS and type(schema[fieldname].format) is Positions

    def add(self, fieldname: str, text: str, ids: np.ndarray, weights: np.ndarray,
            starts: np.ndarray | None = None, positions: np.ndarray | None = None) -> None:
        """Keep a term's postings: document numbers, weights, and (a phrase field's) positions."""
        at = self.spools["ids"].count
        self.keys[(fieldname, text)] = (at, at + len(ids))
        self.spools["ids"].add(ids)
        self.spools["weights"].add(weights)
        if starts is not None and positions is not None:
            self.pkeys[(fieldname, text)] = (self.spools["counts"].count, self.spools["positions"].count)
            self.spools["counts"].add(np.diff(starts))
            self.spools["positions"].add(positions)

    def close(self) -> None:
        """Write the `.npy` files, then the key file (a reader that finds it finds the arrays complete).

        The temporary files are removed whether or not the writing succeeds.
        """
        try:
            for name, spool in self.spools.items():
                spool.save(self.tmp, self.base + _SUFFIXES[name])
            with open(self.tmp, "wb") as f:
                pickle.dump({"version": VERSION, "keys": self.keys, "pkeys": self.pkeys}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(self.tmp, self.base + ".arrkeys")
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temporary files."""
        for spool in self.spools.values():
            spool.discard()
        with contextlib.suppress(OSError):
            os.remove(self.tmp)

    def __enter__(self) -> SegmentArraysWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


_ARRAYS = {"ids": np.int32, "weights": np.float32, "counts": np.int32, "positions": np.int32}
_SUFFIXES = {"ids": ".arrids.npy", "weights": ".arrw.npy", "counts": ".arrcnt.npy", "positions": ".arrpos.npy"}
_SPOOL_CHUNK = 1 << 20  # elements copied at a time from a raw file to its .npy


class _Spool:
    """One array written a part at a time to a raw file, then saved as `.npy` in the narrowest type."""

    def __init__(self, path: str, dtype: type):
        self.path = path
        self.dtype: np.dtype = np.dtype(dtype)
        self.file = open(path, "wb")  # noqa: SIM115  # closed in save or discard
        self.count = 0
        self.low: float | None = None
        self.high: float | None = None
        self.whole = True  # every value a whole number

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values).astype(self.dtype, copy=False)
        if not len(values):
            return
        low, high = float(values.min()), float(values.max())
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)
        if self.whole and self.dtype.kind == "f":
            self.whole = bool(np.all(values == np.floor(values)))
        self.file.write(values.tobytes())
        self.count += len(values)

    def save(self, tmp: str, target: str) -> None:
        """Write the array to `target` (through `tmp`) as the smallest unsigned type that holds it exactly.

        Weights are whole frequencies times a whole boost and positions are small: most arrays fit
        in one or two bytes an entry instead of four. `_Array.read` widens them again.
        """
        self.file.close()
        dtype: np.dtype = self.dtype
        if self.count and self.low is not None and self.high is not None and self.low >= 0 and self.whole:
            for small in (np.uint8, np.uint16):
                if self.high <= np.iinfo(small).max:
                    dtype = np.dtype(small)
                    break
        # Written through the file, not a memory map: a map's written pages count as the process's
        # own memory until it is closed (447 MB of ids a segment at 1M, at the end of its write).
        with open(tmp, "wb") as out, open(self.path, "rb") as f:
            npy_format.write_array_header_1_0(out, {"descr": npy_format.dtype_to_descr(dtype),
                                                    "fortran_order": False, "shape": (self.count,)})
            for a in range(0, self.count, _SPOOL_CHUNK):
                part = np.fromfile(f, dtype=self.dtype, count=min(_SPOOL_CHUNK, self.count - a))
                out.write(part.astype(dtype, copy=False).tobytes())
        os.replace(tmp, target)

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(OSError):
            os.remove(self.path)


@overload
def read_postings(m: object, with_positions: Literal[False] = False) -> Slice | None: ...


@overload
def read_postings(m: object, with_positions: bool) -> tuple[np.ndarray, ...] | None: ...


def read_postings(m: object, with_positions: bool = False) -> tuple[np.ndarray, ...] | None:
    """Return all (docnums, weights) of a leaf matcher, a block at a time; None if not a Whoosh 3 matcher.

    With `with_positions` (a `Positions` field), also each document's start in the positions
    (one more than the documents) and the positions.
    """
    while isinstance(m, FilterMatcher):  # deletions: the live mask removes them afterwards
        m = m.child
    if not isinstance(m, W3LeafMatcher):
        return None
    ids, weights, values = [], [], []
    # Whoosh decodes a block's ids and weights as one tuple each; reading them a block at a time
    # skips the per-posting method calls of `all_ids()` and `score()`.
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if m._weights is None:
            m._read_weights()
        ids.append(np.asarray(m._ids, dtype=np.int64))
        weights.append(np.asarray(m._weights, dtype=np.float32).astype(np.float64))
        if with_positions:
            if m._values is None:
                m._read_values()
            values += m._values
        m._next_block()
    got = (np.concatenate(ids), np.concatenate(weights)) if ids else (np.zeros(0, dtype=np.int64), np.zeros(0))
    return got + positions_of(values) if with_positions else got


def raw_postings(reader: IndexReader, fieldname: str, text: str) -> Slice | None:
    """Return a term's (docnums, weights) in one segment read straight from its W3 postings, or None.

    `read_postings` goes through Whoosh's matcher, whose block headers are read a few bytes at a
    time through the compound file: a quarter of a millisecond for a term of a single block,
    which a prefix or fuzzy word expanded to a hundred terms pays in every segment. Here the
    term's whole posting list is read with one call and its blocks are unpickled from memory.
    None when the segment is not a Whoosh 3 one, or the term is absent (empty arrays) or its
    postings are stored otherwise than this reads (the caller then uses the matcher).
    """
    terms = getattr(reader, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return None
    try:
        info = terms.term_info(fieldname, reader.schema[fieldname].to_bytes(text))
    except TermNotFound:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32).astype(np.float64)
    length = info._length[0] if isinstance(info._length, tuple) else info._length  # Whoosh unpacks it as a tuple
    chunk = terms._postfile.get(info._offset, length)
    if chunk[:len(WHOOSH3_HEADER_MAGIC)] != WHOOSH3_HEADER_MAGIC:
        return None
    f = io.BytesIO(chunk)
    pos, ids_parts, weight_parts = len(WHOOSH3_HEADER_MAGIC), [], []
    while True:
        (size,) = _BLOCK_SIZE.unpack_from(chunk, pos)
        f.seek(pos + _BLOCK_SIZE.size)
        count, _, _, compression, _, _ = pickle.load(f)
        end = pos + _BLOCK_SIZE.size + abs(size)
        data = chunk[f.tell():end]
        deltas, weights, _ = loads(zlib.decompress(data) if compression else data)
        ids_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights is None or isinstance(weights, float):  # every posting weighs the same
            weight_parts.append(np.full(count, 1.0 if weights is None else weights, dtype=np.float32))
        else:
            weight_parts.append(np.asarray(weights, dtype=np.float32))
        if size < 0:  # the last block
            break
        pos = end
    return np.concatenate(ids_parts), np.concatenate(weight_parts).astype(np.float64)


def segment_postings(folder: str | None, reader: IndexReader, fieldname: str, text: str) -> Slice | None:
    """Return a term's (docnums, weights) in one segment, without Whoosh's matcher, or None.

    From the segment's posting arrays when it keeps the term there, else read straight from its
    postings (`raw_postings`). None when neither can: the caller then reads Whoosh's matcher.
    """
    kept = for_reader(folder, reader)
    got = kept.get(fieldname, text) if kept is not None else None
    return got if got is not None else raw_postings(reader, fieldname, text)


_BLOCK_SIZE = struct.Struct("!i")  # Whoosh's signed block length before each block (negative: the last)


def positions_of(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Return (starts, positions) of Whoosh `Positions` values: what `decode_positions` gives, flat.

    The values are read `_SLICE` at a time (a frequent term's run to millions), each slice with one
    unpickling when it is in the form `_gaps_at_once` reads.
    """
    counts_parts, gaps_parts = [], []
    for at in range(0, len(values), _SLICE):
        part = values[at:at + _SLICE]
        got = _gaps_at_once(part) if len(part) >= _AT_ONCE else None
        counts, gaps = got if got is not None else _gaps_each(part)
        counts_parts.append(counts)
        gaps_parts.append(gaps)
    counts = np.concatenate(counts_parts) if counts_parts else np.zeros(0, dtype=np.int64)
    gaps = np.concatenate(gaps_parts) if gaps_parts else np.zeros(0, dtype=np.int64)
    starts = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    running = np.cumsum(gaps)
    # Each document's gaps restart from 0: subtract the running sum reached before its first gap.
    first = starts[:-1][counts > 0]
    before = np.zeros(len(values), dtype=np.int64)
    before[counts > 0] = running[first] - gaps[first]
    return starts, running - np.repeat(before, counts)


def _gaps_each(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Return each value's number of positions and all their gaps, unpickling the values one by one."""
    deltas: list[int] = []
    counts = np.zeros(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        # As Positions.decode_positions: a pickled list of gaps after the count, its stop byte optional.
        got = loads(v[_COUNT:] if v.endswith(b".") else v[_COUNT:] + b".")
        counts[i] = len(got)
        deltas += got
    return counts, np.asarray(deltas, dtype=np.int64)


# Values at least this many are unpickled as one list (`_gaps_at_once`): below, its numpy steps cost more.
_AT_ONCE = 16
_SLICE = 1 << 16  # values unpickled at once at most: what a slice holds for a moment stays a few MB
# How `Positions.encode` pickles a value's gaps (protocol 2): a new list, kept in the memo as 0,
# then one APPEND ("a") or runs of APPENDS ("(" ... "e") of the gaps, and the stop byte ".".
_LIST_OPEN = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)
_HEAD = _COUNT + len(_LIST_OPEN)


def _gaps_at_once(values: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """Return what `_gaps_each` does with one unpickling: every value's appends, stripped of its count,
    list opening and stop byte, put end to end after one list opening. None when a value is not in
    `Positions.encode`'s form or the gaps found are not as many as the counts say in all (`_gaps_each`
    then reads them one by one). The counts are checked in all, not value by value: a value whose
    count disagreed with its own list (which Whoosh never writes) would shift positions between
    documents where `_gaps_each` would not."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if lengths.min() <= _HEAD:
        return None
    blob = np.frombuffer(b"".join(values), dtype=np.uint8)
    ends = np.cumsum(lengths)
    head = blob[(ends - lengths)[:, None] + np.arange(_HEAD)]
    if (head[:, _COUNT:] != _LIST_OPEN).any() or (blob[ends - 1] != ord(".")).any():
        return None
    del blob
    counts = head[:, :_COUNT].astype(np.int64) @ (256 ** np.arange(_COUNT - 1, -1, -1, dtype=np.int64))
    try:
        gaps = loads(b"\x80\x02]" + b"".join([v[_HEAD:-1] for v in values]) + b".")
    except Exception:  # noqa: BLE001 - not the form expected after all: read them one by one
        return None
    if not isinstance(gaps, list) or len(gaps) != int(counts.sum()):
        return None
    return counts, np.asarray(gaps, dtype=np.int64)


def folder_of(searcher: Searcher) -> str | None:
    """Return the folder of a searcher's index, or None (an index in memory)."""
    ix = getattr(searcher, "_ix", None)
    folder = getattr(getattr(ix, "storage", None), "folder", None)
    return str(Path(folder)) if folder else None
