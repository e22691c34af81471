"""A Whoosh segment writer with cheap field lengths at commit time and postings grouped by term.

When a segment is written, Whoosh asks for the document's field length of every posting (for
the block's length bounds) through the column reader of the segment it has just written: a few
microseconds each, over millions of postings. This writer reads each length column once into a
list and answers from it. Everything it writes is what Whoosh's own writer writes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from whoosh import multiproc
from whoosh.codec.base import PerDocumentReader
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter
from whoosh.compat import dumps
from whoosh.fields import Schema
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from archive.engine.whoosh.columns import perdoc_length_bytes
from archive.engine.whoosh.pool import TermPool

_LENGTH = [0] + [byte_to_length(b) for b in range(1, 256)]


class LengthsWriter(SegmentWriter):
    """Whoosh's single-process writer, reading field lengths in bulk when it flushes a segment.

    Its postings wait in a `TermPool` (grouped by term) instead of Whoosh's pool of sorted tuples.
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = TermPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))

    def _flush_segment(self) -> None:
        """Write the segment's postings a term at a time (Whoosh's writer goes a posting at a time)."""
        if not isinstance(self.pool, TermPool) or type(self.fieldwriter) is not W3FieldWriter:
            super()._flush_segment()
            return
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        write_terms(self.fieldwriter, self.schema, pdr, self.pool.iter_terms())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()

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


class SmallBlocksWriter(W3PostingsWriter):
    """Whoosh's postings writer, leaving small blocks uncompressed (each block says whether it is)."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), 2)
        comp = self._compression if len(databytes) >= COMPRESS_FROM else 0
        if comp:
            packed = zlib.compress(databytes, comp)
            if len(packed) < len(databytes):
                databytes = packed
            else:
                comp = 0
        ids = self._ids
        infobytes = dumps((len(ids), ids[-1], self._maxweight, comp, length_to_byte(self._minlength),
                           length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


def write_terms(fw: W3FieldWriter, schema: Schema, pdr: Any, terms: Iterable[tuple]) -> None:
    """Write terms' postings as `FieldWriter.add_postings` does, filling each block a slice at a time.

    The postings, each block's statistics (lengths, weights) and the term infos are what Whoosh
    writes; small blocks are left uncompressed (`SmallBlocksWriter`).
    """
    lastfn = None
    lengths: list[int] | None = None
    for fieldname, text, docs, weights, values in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fw.finish_field()
            fw.start_field(fieldname, schema[fieldname])
            pw = fw._postwriter
            fw._postwriter = SmallBlocksWriter(pw._postfile, pw._blocklimit, compression=pw._compression,
                                               inlinelimit=pw._inlinelimit)
            lastfn = fieldname
            lengths = pdr._lengths.get(fieldname) if isinstance(pdr, _Lengths) else None
            dfl = pdr.doc_field_length if pdr is not None else None
        if docs and docs[0] < 0:  # Whoosh's spelling marks (document -1) are not postings
            keep = [k for k, d in enumerate(docs) if d >= 0]
            docs, weights, values = [docs[k] for k in keep], [weights[k] for k in keep], [values[k] for k in keep]
            if not docs:
                continue
        fw.start_term(text)
        pw = fw._postwriter
        limit = pw._blocklimit
        for a in range(0, len(docs), limit):
            if a:
                pw._write_block()
            ids, ws = docs[a:a + limit], weights[a:a + limit]
            pw._ids.fromlist(list(ids))
            pw._weights.fromlist(list(ws))
            top = max(ws)
            if top > pw._maxweight:
                pw._maxweight = top
            pw._values.extend(v for v in values[a:a + limit] if v)
            if lengths is not None and ids[-1] < len(lengths):
                got = [n for n in (lengths[d] for d in ids) if n]
            elif dfl is not None:
                got = [n for n in (dfl(d, fieldname) for d in ids) if n]
            else:
                got = []
            if got:
                low, high = min(got), max(got)
                if pw._minlength is None or low < pw._minlength:
                    pw._minlength = low
                if high > pw._maxlength:
                    pw._maxlength = high
        fw.finish_term()
    if lastfn is not None:
        fw.finish_field()


class _LengthsTask(multiproc.SubWriterTask):
    """An indexing process of the multiprocess writer whose segment writer is a `LengthsWriter`."""

    def run(self) -> None:
        # This runs in the forked child only: its module global names the writer class the task
        # creates (Whoosh gives no other way to choose it), and the parent's stays untouched.
        multiproc.SegmentWriter = LengthsWriter
        super().run()


class BuildWriter(multiproc.MpWriter):
    """Whoosh's multiprocess writer (full builds) with indexing processes that use `LengthsWriter`."""

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
