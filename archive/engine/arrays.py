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
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.index import Index
from whoosh.matching.wrappers import FilterMatcher

logger = logging.getLogger(__name__)

FIELDS = ("title", "body", "title_exact", "body_exact", "title_pairs", "body_pairs")
MIN_DF = 128  # one Whoosh block: rarer terms cost one block read either way
VERSION = 1
RECHECK = 2.0  # seconds before looking again for the files of a segment that had none
MAX_SEGMENTS = 64

Slice = tuple[np.ndarray, np.ndarray]


class SegmentArrays:
    """The arrays of one segment: `get(field, term)` returns (docnums, weights) or None."""

    def __init__(self, base: str):
        with open(base + ".arrkeys", "rb") as f:
            meta = pickle.load(f)
        if meta.get("version") != VERSION:
            raise ValueError("other version")
        self.keys: dict[tuple[str, str], tuple[int, int]] = meta["keys"]
        self.ids = np.load(base + ".arrids.npy", mmap_mode="r")
        self.weights = np.load(base + ".arrw.npy", mmap_mode="r")

    def get(self, fieldname: str, text: str) -> Slice | None:
        """Return a term's document numbers (segment-local) and weights, or None if not kept."""
        where = self.keys.get((fieldname, text))
        if where is None:
            return None
        a, b = where
        return np.asarray(self.ids[a:b], dtype=np.int64), np.asarray(self.weights[a:b], dtype=np.float64)

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


def _write_segment(reader, base: str, min_df: int) -> None:  # type: ignore[no-untyped-def]
    keys: dict[tuple[str, str], tuple[int, int]] = {}
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    at = 0
    for fieldname in FIELDS:
        if fieldname not in reader.schema:
            continue
        for btext, info in reader.iter_field(fieldname):
            if info.doc_frequency() < min_df:
                continue
            text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
            got = read_postings(reader.postings(fieldname, text))
            if got is None:
                continue
            keys[(fieldname, text)] = (at, at + len(got[0]))
            at += len(got[0])
            ids.append(got[0].astype(np.int32))
            weights.append(got[1].astype(np.float32))
    tmp = f"{base}.{os.getpid()}.{threading.get_ident()}.tmp"
    # The key file goes last: a reader that finds it finds the arrays complete.
    for suffix, parts, dtype in ((".arrids.npy", ids, np.int32), (".arrw.npy", weights, np.float32)):
        with open(tmp, "wb") as f:
            np.save(f, np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))
        os.replace(tmp, base + suffix)
    with open(tmp, "wb") as f:
        pickle.dump({"version": VERSION, "keys": keys}, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, base + ".arrkeys")


def read_postings(m: object) -> Slice | None:
    """Return all (docnums, weights) of a leaf matcher, a block at a time; None if not a Whoosh 3 matcher."""
    while isinstance(m, FilterMatcher):  # deletions: the live mask removes them afterwards
        m = m.child
    if not isinstance(m, W3LeafMatcher):
        return None
    ids, weights = [], []
    # Whoosh decodes a block's ids and weights as one tuple each; reading them a block at a time
    # skips the per-posting method calls of `all_ids()` and `score()`.
    while m.is_active():
        if m._ids is None:
            m._read_ids()
        if m._weights is None:
            m._read_weights()
        ids.append(np.asarray(m._ids, dtype=np.int64))
        weights.append(np.asarray(m._weights, dtype=np.float32).astype(np.float64))
        m._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(ids), np.concatenate(weights)


def folder_of(searcher) -> str | None:  # type: ignore[no-untyped-def]
    """Return the folder of a searcher's index, or None (an index in memory)."""
    ix = getattr(searcher, "_ix", None)
    folder = getattr(getattr(ix, "storage", None), "folder", None)
    return str(Path(folder)) if folder else None
