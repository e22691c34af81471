"""A Whoosh segment writer that takes a document's fields whole and writes a segment a term at a time.

Whoosh's writer hands its pool one posting at a time, and writes a segment a posting at a time
through a postings writer, a block object and a term info object; when it does, it asks for the
document's field length of every posting through the column reader of the segment it has just
written. This writer hands the pool (pool.py) each field's postings as lists, reads each length
column once, and makes each term's blocks and term info in one pass (`write_terms`), also
keeping frequent terms' postings for the segment's posting arrays (arrays.py). The segments it
writes hold what Whoosh's own writer's hold, posting for posting (a test reads both back); their
bytes differ where small blocks are left uncompressed and where postings share one encoded value.
"""

from __future__ import annotations

import gc
import os
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from operator import sub
from typing import Any

import numpy as np
from whoosh import multiproc
from whoosh.analysis import IDTokenizer
from whoosh.codec.base import PerDocumentReader
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3FieldWriter
from whoosh.compat import dumps
from whoosh.fields import ID, Schema
from whoosh.formats import Existence
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from archive.engine.whoosh import arrays
from archive.engine.whoosh.columns import perdoc_length_bytes
from archive.engine.whoosh.fields import Postings, WordsField, keyword_postings
from archive.engine.whoosh.pool import Part, TermPool
from archive.engine.whoosh.termindex import TermIndexWriter

_LENGTH = [0] + [byte_to_length(b) for b in range(1, 256)]


def _postings(field: Any, value: Any) -> Postings:
    """Return a field's postings of a value as lists (terms, frequencies, weights, values)."""
    if isinstance(field, WordsField):
        got = field.postings(value)
        if got is not None:
            return got
    elif (isinstance(value, str) and type(field) is ID and type(field.analyzer) is IDTokenizer
          and type(field.format) is Existence):
        # An ID field's one term is the whole value (IDTokenizer), once, at the field's boost, with
        # no value (Existence): what Whoosh's analyser and format give, without a token object.
        return [value.encode("utf-8")], [1], [field.format.field_boost], [b""]
    else:
        got = keyword_postings(field, value)
        if got is not None:
            return got
    items = list(field.index(value))
    return [i[0] for i in items], [i[1] for i in items], [i[2] for i in items], [i[3] for i in items]


class LengthsWriter(SegmentWriter):
    """Whoosh's single-process writer, reading field lengths in bulk when it flushes a segment.

    Its postings wait in a `TermPool` (grouped by term) instead of Whoosh's pool of sorted tuples.
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = TermPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))
        self._kept: arrays.SegmentArraysWriter | None = None  # the new segment's posting arrays, until assembled
        # Vectors and separate spelling fields (none in this project's schema) take Whoosh's path.
        self._whole_fields = not any(f.vector or f.separate_spelling() for _, f in self.schema.items())
        if type(self.fieldwriter) is W3FieldWriter:  # its term dictionary in arrays (termindex.py)
            self.fieldwriter._tindex = TermIndexWriter.replacing(self.fieldwriter._tindex)

    def add_document(self, **fields: Any) -> None:
        """Add a document as Whoosh's writer does, handing the pool each field's postings at once."""
        if not self._whole_fields:
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter, schema, docnum, add_field = self.perdocwriter, self.schema, self.docnum, self.pool.add_field
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    texts, freqs, weights, values = _postings(field, value)
                    boost = self._field_boost(fields, fieldname, docboost)
                    if boost != 1.0:
                        weights = [w * boost for w in weights]
                    add_field(fieldname, docnum, texts, weights, values)
                    if field.scorable:
                        length = sum(freqs)
                custom = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, custom if field.stored else None, length)
                if field.column_type and custom is not None:
                    perdocwriter.add_column_value(fieldname, field.column_type, field.to_column_value(custom))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        """Write the segment's postings a term at a time (Whoosh's writer goes a posting at a time)."""
        if not isinstance(self.pool, TermPool) or type(self.fieldwriter) is not W3FieldWriter:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        folder = getattr(self.storage, "folder", None)
        if folder is not None:  # not an index in memory: the segment gets its posting arrays
            self._kept = arrays.SegmentArraysWriter(os.path.join(folder, self.newsegment.segment_id()))
        try:
            write_terms(self.fieldwriter, self.schema, pdr, self.pool.iter_term_parts(), self._kept)
        except BaseException:
            self._discard_arrays()
            raise
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()

    def _assemble_segment(self) -> None:
        """Assemble the segment's compound file, then write its posting arrays beside it."""
        super()._assemble_segment()
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.close()

    def _discard_arrays(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.discard()

    def cancel(self) -> None:
        """Cancel the writer, removing any posting arrays it had begun."""
        self._discard_arrays()
        super().cancel()

    def per_document_reader(self) -> _Lengths:
        """Return the new segment's per-document reader, with field lengths served from memory."""
        return _Lengths(super().per_document_reader(), self.schema)


class _Lengths:
    """A per-document reader whose `doc_field_length` is a list lookup."""

    def __init__(self, pdr: PerDocumentReader, schema: Schema) -> None:
        self._pdr = pdr
        self._lengths: dict[str, list[int]] = {}
        count = pdr.doc_count_all()
        for name in schema.scorable_names():
            if pdr._cached_reader(f"_{name}_len", LENGTHS_COLUMN) is not None:
                self._lengths[name] = [_LENGTH[b] for b in perdoc_length_bytes(pdr, count, name).tolist()]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        """Return a document's length in a field (as the column reader would)."""
        lengths = self._lengths.get(fieldname)
        if lengths is None:  # not scorable, or no document has the field: no length column
            return default
        if docnum >= len(lengths):
            return self._pdr.doc_field_length(docnum, fieldname, default)
        return lengths[docnum] or None  # as Whoosh: a zero length byte gives None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pdr, name)


# Blocks whose pickle is shorter than this are written as they are: zlib makes them longer (its
# header and checksum) and costs a call each, and most terms (pairs above all) have a small block.
COMPRESS_FROM = 128
_TERMINFO = struct.Struct("!BfIBBfIIqi")  # W3TermInfo's fields, then the postings' offset and length


def write_terms(fw: W3FieldWriter, schema: Schema, pdr: Any, terms: Iterable[tuple[str, bytes, Iterable[Part]]],
                kept: arrays.SegmentArraysWriter | None = None) -> None:
    """Write terms' postings, block statistics and term infos in Whoosh's W3 format, a term at a time.

    What `FieldWriter.add_postings` writes, posting for posting, except that small blocks are left
    uncompressed (every block says whether it is). Whoosh goes a posting at a time through a
    postings writer, a term info object and a block object; here each term's blocks and term info
    are made in one pass over its postings, which come as parts (the pool's runs, in document
    order) and are cut into blocks as they come, so a frequent term's postings are not held
    whole. With `kept`, frequent terms' postings also go to the segment's posting arrays
    (arrays.py) as they are written, instead of being read back after the commit.
    """
    postfile, tindex = fw._postfile, fw._tindex
    lastfn = None
    lengths: list[int] | None = None
    for fieldname, text, parts in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fw.finish_field()
            field = schema[fieldname]
            fw.start_field(fieldname, field)
            lastfn = fieldname
            pw = fw._postwriter
            blocklimit, compression = pw._blocklimit, pw._compression
            fixed = field.format.fixed_value_size()
            prefix = pack_ushort(fw._fieldid)
            lengths = pdr._lengths.get(fieldname) if isinstance(pdr, _Lengths) else None
            # Lengths past the list (none expected), or from another reader, are asked one by one.
            dfl = (pdr.doc_field_length if pdr is not None and (lengths is not None or not isinstance(pdr, _Lengths))
                   else None)
            offset = postfile.tell()
            keeps = kept is not None and fieldname in arrays.FIELDS
            with_positions = keeps and arrays.SegmentArraysWriter.with_positions(schema, fieldname)
        blocks = _blocks(parts, blocklimit)
        block = next(blocks, None)
        if block is None:  # only Whoosh's spelling marks (document -1), which are not postings
            continue
        upcoming = next(blocks, None)
        chunks = [WHOOSH3_HEADER_MAGIC]
        total: float = 0
        topweight: float = 0
        minlength: int | None = None
        maxlength = 0
        n = 0
        first = block[0][0]
        # A term of one block below the arrays' threshold (most terms) is never kept: not gathered.
        keep = (_Keep(with_positions) if keeps and kept is not None and (
            upcoming is not None or len(block[0]) >= kept.min_df) else None)
        while block is not None:
            ids, raw, values = block
            block, upcoming = upcoming, (next(blocks, None) if upcoming is not None else None)
            n += len(ids)
            ws = array("f", raw)  # Whoosh keeps a block's weights as 32-bit floats
            total += sum(ws)
            top = max(raw)
            blockweight = top if top > 0 else 0
            if blockweight > topweight:
                topweight = blockweight
            if lengths is not None and ids[-1] < len(lengths):
                got = list(map(lengths.__getitem__, ids))
            elif dfl is not None:
                got = [dfl(d, fieldname) for d in ids]
            else:
                got = []
            if got and not all(got):  # a zero length (or None) is no length: Whoosh leaves it out
                got = [k for k in got if k]
            low, high = (min(got), max(got)) if got else (None, 0)
            if low is not None and (minlength is None or low < minlength):
                minlength = low
            if high > maxlength:
                maxlength = high
            w0 = ws[0]
            miniweights = (None if ws.count(1.0) == len(ws) else w0 if ws.count(w0) == len(ws) else tuple(ws))
            if fixed == 0:
                minivalues = None
            else:
                vs = [v for v in values if v] if b"" in values or None in values else values
                minivalues = tuple(vs) if fixed is None or fixed < 0 else b"".join(vs)
            deltas = (ids[0], *map(sub, ids[1:], ids))
            databytes = dumps((deltas, miniweights, minivalues), 2)
            comp = compression if len(databytes) >= COMPRESS_FROM else 0
            if comp:
                packed = zlib.compress(databytes, comp)
                if len(packed) < len(databytes):
                    databytes = packed
                else:
                    comp = 0
            infobytes = dumps((len(ids), ids[-1], blockweight, comp, length_to_byte(low), length_to_byte(high)), 2)
            size = len(infobytes) + len(databytes)
            chunks += (pack_int(size if block is not None else -size), infobytes, databytes)
            if keep is not None:
                keep.add(ids, ws, values)
            last = ids[-1]
        data = b"".join(chunks)
        postfile.write(data)
        tindex.add(prefix + text, _TERMINFO.pack(0, total, n, length_to_byte(minlength), length_to_byte(maxlength),
                                                 topweight, first, last, offset, len(data)))
        offset += len(data)
        if keep is not None and kept is not None and n >= kept.min_df:
            kept.add(fieldname, text.decode("utf-8"), *keep.arrays())
    if lastfn is not None:
        fw.finish_field()


def _blocks(parts: Iterable[Part], size: int) -> Iterator[Part]:
    """Yield a term's postings in blocks of `size` (the last one shorter), across its parts, without
    Whoosh's spelling marks (document -1, at the start)."""
    held: tuple[list[int], list[float], list[Any]] | None = None
    for docs, weights, values in parts:
        if docs and docs[0] < 0:
            keep = [k for k, d in enumerate(docs) if d >= 0]
            docs, weights, values = [docs[k] for k in keep], [weights[k] for k in keep], [values[k] for k in keep]
        k, n = 0, len(docs)
        if held is not None:  # complete the block begun by the last part
            take = size - len(held[0])
            held[0].extend(docs[:take])
            held[1].extend(weights[:take])
            held[2].extend(values[:take])
            k = take
            if len(held[0]) < size:
                continue
            yield held
            held = None
        if k == 0 and n <= size:
            if n == size:
                yield docs, weights, values
            elif n:
                held = (list(docs), list(weights), list(values))
            continue
        while n - k >= size:
            yield docs[k:k + size], weights[k:k + size], values[k:k + size]
            k += size
        if k < n:
            held = (list(docs[k:]), list(weights[k:]), list(values[k:]))
    if held is not None:
        yield held


class _Keep:
    """A frequent term's postings as arrays, for the segment's posting arrays: gathered block by
    block, its positions read from all its values at once when the term is done."""

    def __init__(self, with_positions: bool) -> None:
        self.with_positions = with_positions
        self.ids: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.values: list[Any] = []

    def add(self, ids: Sequence[int], weights: array, values: Sequence[Any]) -> None:
        self.ids.append(np.asarray(ids, dtype=np.int32))
        self.weights.append(np.frombuffer(weights, dtype=np.float32).copy())
        if self.with_positions:
            self.values += values

    def arrays(self) -> tuple[np.ndarray, ...]:
        ids, weights = np.concatenate(self.ids), np.concatenate(self.weights)
        if not self.with_positions:
            return ids, weights
        return ids, weights, *arrays.positions_of(self.values)


class _LengthsTask(multiproc.SubWriterTask):
    """An indexing process of the multiprocess writer whose segment writer is a `LengthsWriter`."""

    def run(self) -> None:
        # This runs in the forked child only: its module global names the writer class the task
        # creates (Whoosh gives no other way to choose it), and the parent's stays untouched.
        multiproc.SegmentWriter = LengthsWriter
        super().run()


class BuildWriter(multiproc.MpWriter):
    """Whoosh's multiprocess writer (full builds) with indexing processes that use `LengthsWriter`.

    The indexing processes are forked when the writer is made, not when the first batch of
    documents is ready (Whoosh's way): by then the ingest process holds the walk's file list
    and more, and a forked process copies those pages as its garbage collector touches them (at
    a million files each indexing process started at 160 MB and reached 250 MB in two minutes).
    The objects alive at the fork are frozen for the fork, so the children's collector leaves
    their pages shared.
    """

    def __init__(self, ix: Any, procs: int | None = None, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, **kwargs)
        gc.freeze()
        try:
            while len(self.tasks) < self.procs:
                self._new_task()
        finally:
            gc.unfreeze()

    def _new_task(self) -> _LengthsTask:
        task = _LengthsTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                            self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        """Kill the indexing processes, then drop what was written.

        Whoosh's own cancel only flags the parent's copy of each task: the processes went on
        waiting on their job queue (or failed on a job file the cancel had just deleted), and the
        interpreter's exit waited on them forever, so a stopped full build never ended. They are
        killed rather than sent SIGTERM: they inherited the ingest's stop handler, and what
        they hold is discarded anyway.
        """
        for task in self.tasks:
            task.kill()
        for task in self.tasks:
            task.join()
        super().cancel()
