"""Per-document values of the sortable fields (content hash, source, year...), as plain lists.

Totals and facet counts read one value per matching document. Reading them through Whoosh's
column readers costs microseconds each (a million lookups for a broad query over 100,000
documents), so each segment's column is read once and kept: segments never change after they are
written, so a commit only adds the new segment's values. Equal values share one string.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np
from whoosh.codec.base import PerDocumentReader
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

MAX_SEGMENT_COLUMNS = 512  # (segment, field) lists kept; old ones are read again if needed
_segments: OrderedDict[tuple[str, str], list] = OrderedDict()
_searchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def column(s: Searcher, name: str) -> list:
    """Return the values of a sortable field for every document number of the searcher."""
    with _lock:
        cols = _searchers.setdefault(s, {})
        values = cols.get(name)
    if values is None:
        values = []
        for sub, offset in s.leaf_searchers():
            assert len(values) == offset, "segments are expected in document-number order"
            values += _segment_column(sub, name)
        with _lock:
            cols[name] = values
    return values


def _segment_column(sub: Searcher, name: str) -> list:
    reader = sub.reader()
    segment = reader.segment()
    if segment is None:  # an empty index has a reader without a segment, and no documents
        return [reader.column_reader(name)[d] for d in range(reader.doc_count_all())] if reader.doc_count_all() else []
    key = (segment.segment_id(), name)
    with _lock:
        values = _segments.get(key)
        if values is not None:
            _segments.move_to_end(key)
            return values
    values = _segment_strings(reader, name)
    with _lock:
        _segments[key] = values
        while len(_segments) > MAX_SEGMENT_COLUMNS:
            _segments.popitem(last=False)
    return values


def column_bytes(s: Searcher, name: str) -> np.ndarray | None:
    """Return a text column's values for every document number as fixed-width UTF-8 byte strings
    (numpy "S", as wide as the longest value; "" for none), or None when a segment keeps the
    column in another form than Whoosh's variable-length bytes.

    Each segment's values are one run of bytes in its file with a length a document: read at
    once and laid out in a matrix a byte a cell, not decoded into a million strings. UTF-8 sorts
    as the text does, so codes made from these sort as the strings do. At a million documents,
    the six columns a new process's first search needs took 14 s as strings.
    """
    parts = []
    for sub, _ in s.leaf_searchers():
        reader = sub.reader()
        if reader.segment() is None:  # an empty index: no documents, no column
            continue
        part = _segment_bytes(reader, name)
        if part is None:
            return None
        parts.append(part)
    width = max((p.shape[1] for p in parts), default=0)
    out = np.zeros((sum(len(p) for p in parts), max(width, 1)), dtype=np.uint8)
    at = 0
    for part in parts:
        out[at:at + len(part), :part.shape[1]] = part
        at += len(part)
    return out.view(f"S{max(width, 1)}").ravel()


def _segment_strings(reader: SegmentReader, name: str) -> list:
    """Return one segment's column values as strings, equal values sharing one string.

    A text column is decoded once per distinct value from its bytes (`_segment_bytes`); another
    column type is read through Whoosh's column reader, a value at a time.
    """
    fixed = _segment_bytes(reader, name)
    if fixed is None:
        shared: dict = {}
        return [shared.setdefault(v, v) for v in reader.column_reader(name)]
    if not fixed.shape[1]:  # no document has a value
        return [""] * len(fixed)
    distinct, codes = np.unique(fixed.view(f"S{fixed.shape[1]}").ravel(), return_inverse=True)
    strings = np.array([v.decode() for v in distinct.tolist()], dtype=object)
    return list(strings[codes.ravel()].tolist())


def _segment_bytes(reader: SegmentReader, name: str) -> np.ndarray | None:
    """Return one segment's column values as a matrix of bytes (a row a document, zero-padded)."""
    raw = reader.column_reader(name, translate=False)
    if type(raw) is not VarBytesColumn.Reader:
        return None
    count = reader.doc_count_all()
    lengths = np.asarray(raw._lengths, dtype=np.int64)[:count]
    offsets = np.asarray(raw._offsets, dtype=np.int64)[:count]
    width = int(lengths.max()) if count else 0
    if not width:
        return np.zeros((count, 0), dtype=np.uint8)
    total = int(offsets[-1] + lengths[-1])
    data = np.frombuffer(raw._dbfile.get(raw._basepos, total), dtype=np.uint8)
    if total == width * count:  # every value of one length (content hashes): the run is the matrix
        return data.reshape(count, width).copy()
    out = np.zeros((count, width), dtype=np.uint8)
    for length in np.unique(lengths[lengths > 0]).tolist():
        rows = np.flatnonzero(lengths == length)
        out[rows, :length] = np.lib.stride_tricks.sliding_window_view(data, length)[offsets[rows]]
    return out


def length_bytes(reader: SegmentReader, fieldname: str) -> np.ndarray:
    """Return a segment's byte-coded field lengths, one per document (0: none), in one read.

    Whoosh's column reader returns them one `seek` and `read` at a time (about 3 seconds a
    million); the column is a run of bytes in the segment file, read here at once.
    """
    return perdoc_length_bytes(reader._perdoc, reader.doc_count_all(), fieldname)


def perdoc_length_bytes(perdoc: PerDocumentReader, count: int, fieldname: str) -> np.ndarray:
    """Return the field lengths of a segment's per-document reader (see `length_bytes`)."""
    col = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    out = np.zeros(count, dtype=np.uint8)
    if col is None:
        return out
    if type(col) is NumericColumn.Reader and col._fixedlen == 1:
        n = min(col._count, count)
        out[:n] = np.frombuffer(col._dbfile.get(col._basepos, n), dtype=np.uint8)
        return out
    for d in range(count):  # another column type: Whoosh's own lookups
        out[d] = col[d]
    return out
