"""A Whoosh segment writer with cheap field lengths at commit time and postings grouped by term.

When a segment is written, Whoosh asks for the document's field length of every posting (for
the block's length bounds) through the column reader of the segment it has just written: a few
microseconds each, over millions of postings. This writer reads each length column once into a
list and answers from it. Everything it writes is what Whoosh's own writer writes.
"""

from __future__ import annotations

from typing import Any

from whoosh import multiproc
from whoosh.codec.base import PerDocumentReader
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.fields import Schema
from whoosh.util.numeric import byte_to_length
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
