"""Format readers: detect a file's type by its content, then split it into parts to clean and index.

One source file gives one or more `Part`s: a PDF or a Word file gives one, a mailbox one per
message (and one per readable attachment), a Reuters SGML file one per `<REUTERS>` element, and
an archive one per member, recursively. A part that cannot be read carries an `error` instead of
text; `read_parts` never raises, so one bad file or member never stops an ingest run.

    kind = detect(path, data[:HEAD_BYTES], data)
    for part in read_parts(path, data, kind, limits=Limits()):
        ...  # part.error / part.skipped, else clean part.raw (kind text/html) or use part.text
"""

from __future__ import annotations

import logging
import mmap
from collections.abc import Callable, Iterator
from pathlib import Path

from archive.formats.detect import HEAD_BYTES, SUPPORTED_KINDS, detect
from archive.formats.model import Buffer, Context, Limits, Part, excludes_nothing
from archive.formats.readers import READERS

logger = logging.getLogger(__name__)

# Kinds read from a memory map when read_parts is given a path only: big archives and mailboxes.
STREAMED_KINDS = frozenset({"zip", "tar", "gzip", "mbox"})

__all__ = ["HEAD_BYTES", "STREAMED_KINDS", "SUPPORTED_KINDS", "Limits", "Part", "detect", "read_parts"]


def read_parts(path: Path, data: bytes | None, kind: str, *, limits: Limits | None = None,
               ocr: str = "", excluded: Callable[[str], bool] = excludes_nothing) -> Iterator[Part]:
    """Yield the parts of one source file; errors become parts with `error` set, never exceptions.

    :param data: the file's bytes, or None to read them from `path`: archives and mailboxes are
        then mapped into memory rather than read (up to `limits.max_container_bytes`), other
        files read whole (up to `limits.max_file_bytes`).
    :param kind: what `detect` said.
    :param ocr: tesseract languages (for example "eng+kor") to OCR PDF pages without text; "" is off.
    :param excluded: the test of ingest's walker for folder and file names to pass over
        (`archive.ingest.walk.name_matcher` of its `exclude` patterns): members of archives are
        passed over as files outside them are (`README.*` inside a tarball is no document).
    """
    limits = limits or Limits()
    ctx = Context(limits=limits, dispatch=dispatch, ocr=ocr, excluded=excluded)
    if data is not None:
        yield from dispatch(path.name, data, kind, ctx)
        return
    try:
        size = path.stat().st_size
        limit = limits.max_container_bytes if kind in STREAMED_KINDS else limits.max_file_bytes
        if size > limit:
            yield Part(error=f"too large ({size:,} bytes; the limit is {limit:,})")
            return
        if kind not in STREAMED_KINDS or size == 0:
            yield from dispatch(path.name, path.read_bytes(), kind, ctx)
            return
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            yield from dispatch(path.name, mapped, kind, ctx)
    except OSError as exc:
        yield Part(error=f"cannot read: {exc.strerror or exc}")


def dispatch(name: str, data: Buffer, kind: str, ctx: Context) -> Iterator[Part]:
    """Run the reader for `kind`; turn anything it raises into an error part."""
    if kind.startswith("unsupported"):
        yield Part(error=f"unsupported: {kind.partition(':')[2] or 'unknown type'}")
        return
    reader = READERS.get(kind)
    if reader is None:
        yield Part(error=f"unsupported: {kind}")
        return
    limit = ctx.limits.max_container_bytes if kind in STREAMED_KINDS else ctx.limits.max_file_bytes
    if len(data) > limit:
        yield Part(error=f"too large ({len(data):,} bytes; the limit is {limit:,})")
        return
    try:
        yield from reader(name, data, ctx)
    except Exception as exc:  # a corrupt file must not abort the run: report it as a part
        logger.debug("reading %s as %s failed", name, kind, exc_info=True)
        yield Part(error=f"corrupt {kind} file: {type(exc).__name__}: {exc}"[:300])
