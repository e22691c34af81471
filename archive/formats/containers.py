"""Open archives (.zip, .tar, .tar.gz, .gz): each member is detected and read as a file of its own.

Every member counts against one budget per top-level file (members, uncompressed bytes), nesting
is bounded, and a member that would unpack far beyond its compressed size is refused before it
is inflated, so a zip bomb costs nothing. An encrypted member is reported and the rest read on.
"""

from __future__ import annotations

import io
import logging
import mmap
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Literal, cast

from archive.formats.detect import HEAD_BYTES, detect
from archive.formats.model import Buffer, Context, Part

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


class Refused(Exception):
    """A member exceeds a limit; the message says which."""


class StreamRefused(Refused):
    """A compressed stream inflated past a limit: nothing after this point can be read."""


def read_zip(name: str, data: Buffer, ctx: Context) -> Iterator[Part]:
    """Yield the parts of every member of a zip file."""
    if _too_deep(ctx):
        yield Part(error=f"refused: archives nested more than {ctx.limits.max_depth} deep")
        return
    with zipfile.ZipFile(_file(data)) as z:
        for info in z.infolist():
            if info.is_dir() or _ignored(info.filename) or ctx.passes_over(info.filename):
                continue
            prefix = "!/" + info.filename
            if info.flag_bits & 0x1:
                yield Part(subpath=prefix, error="encrypted member (password-protected); not read")
                continue
            try:
                _admit(info.filename, info.file_size, info.compress_size, ctx)
                body = read_zip_member(z, info, ctx)
            except Refused as exc:
                yield Part(subpath=prefix, error=str(exc))
                continue
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
                yield Part(subpath=prefix, error=f"corrupt member: {exc}")
                continue
            yield from read_member(info.filename, body, ctx, prefix, _zip_time(info.date_time))


def read_tar(name: str, data: Buffer, ctx: Context) -> Iterator[Part]:
    """Yield the parts of every regular member of a tar file (plain or gzip-compressed), streamed."""
    if _too_deep(ctx):
        yield Part(error=f"refused: archives nested more than {ctx.limits.max_depth} deep")
        return
    raw = _file(data)
    stream = cast(IO[bytes], _BoundedGzip(raw, len(data), ctx)) if data[:2] == b"\x1f\x8b" else raw
    try:
        yield from _tar_members(stream, ctx)
    except Refused as exc:
        yield Part(error=str(exc))


def _tar_members(stream: IO[bytes], ctx: Context) -> Iterator[Part]:
    """Yield the parts of a tar stream's members."""
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for info in tar:
            if not info.isfile() or _ignored(info.name) or ctx.passes_over(info.name):
                continue
            prefix = "!/" + info.name.removeprefix("./")
            try:
                _admit(info.name, info.size, info.size, ctx)
                handle = tar.extractfile(info)
                body = handle.read() if handle is not None else b""
            except StreamRefused as exc:
                yield Part(subpath=prefix, error=str(exc))
                return
            except Refused as exc:
                yield Part(subpath=prefix, error=str(exc))
                continue
            yield from read_member(info.name, body, ctx, prefix, float(info.mtime) if info.mtime > 0 else None)


def read_gzip(name: str, data: Buffer, ctx: Context) -> Iterator[Part]:
    """Yield the parts of the one file a .gz holds (named after the archive without .gz)."""
    if _too_deep(ctx):
        yield Part(error=f"refused: archives nested more than {ctx.limits.max_depth} deep")
        return
    inner = name[:-3] if name.lower().endswith(".gz") else name + ".unpacked"
    prefix = "!/" + PurePosixPath(inner).name
    if ctx.passes_over(PurePosixPath(inner).name):
        return
    try:
        _admit(inner, 0, len(data), ctx)
        body = _BoundedGzip(_file(data), len(data), ctx).read()
    except Refused as exc:
        yield Part(subpath=prefix, error=str(exc))
        return
    yield from read_member(inner, body, ctx, prefix, _gzip_time(data))


def read_member(name: str, body: bytes, ctx: Context, prefix: str, mtime: float | None = None) -> Iterator[Part]:
    """Detect a member's kind and read it one level down; its parts' subpaths gain `prefix`.

    The parts take the member's timestamp `mtime`, unless they carry their own (the members of
    an archive inside this one).
    """
    kind = detect(PurePosixPath(name), body[:HEAD_BYTES], body)
    inner = ctx.deeper()
    for part in ctx.dispatch(PurePosixPath(name).name, body, kind, inner):
        part.format = part.format or kind
        if part.mtime is None:
            part.mtime = mtime
        yield part.under(prefix)


def check_zip(z: zipfile.ZipFile, ctx: Context) -> str | None:
    """Return why a zip-based document (docx, odt, epub) must not be opened, or None."""
    total = 0
    for info in z.infolist():
        if info.flag_bits & 0x1:
            return "encrypted (password-protected) document"
        total += info.file_size
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > ctx.limits.ratio_floor and ratio > ctx.limits.max_ratio:
            return f"refused: {info.filename} would inflate {ratio:,}-fold (a zip bomb?)"
    if total > ctx.limits.max_file_bytes:
        return f"refused: unpacks to {total:,} bytes; the limit is {ctx.limits.max_file_bytes:,}"
    return None


def read_zip_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: Context) -> bytes:
    """Read one member, never more than the limit, whatever its header claims."""
    out = bytearray()
    with z.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            out += chunk
            if len(out) > ctx.limits.max_file_bytes:
                raise Refused(f"refused: member larger than {ctx.limits.max_file_bytes:,} bytes")
    return bytes(out)


def _admit(member: str, size: int, packed: int, ctx: Context) -> None:
    """Count a member against the budget; raise `Refused` when it breaks a limit."""
    limits, budget = ctx.limits, ctx.budget
    budget.members += 1
    if budget.members > limits.max_members:
        raise Refused(f"refused: more than {limits.max_members:,} members")
    if size > limits.max_file_bytes:
        raise Refused(f"refused: {size:,} bytes uncompressed; the limit is {limits.max_file_bytes:,}")
    if size > limits.ratio_floor and size > limits.max_ratio * max(packed, 1):
        raise Refused(f"refused: compression ratio {size // max(packed, 1):,}:1 is above "
                      f"{limits.max_ratio}:1 (a zip bomb?)")
    budget.bytes += size
    if budget.bytes > limits.max_total_bytes:
        raise Refused(f"refused: the archive unpacks to more than {limits.max_total_bytes:,} bytes")


class _BoundedGzip(io.RawIOBase):
    """A gzip stream that stops with `Refused` once it has inflated past the limits."""

    def __init__(self, raw: IO[bytes], packed: int, ctx: Context) -> None:
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._raw, self._ctx = raw, ctx
        self._packed = packed
        self._out = 0
        self._pending = b""

    def readable(self) -> bool:
        """Return True: this is a read-only stream."""
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Inflate into `buffer`, checking the total and the ratio as the stream grows."""
        while not self._pending:
            if self._inflate.eof and self._inflate.unused_data.strip(b"\x00"):  # another gzip member
                rest = self._inflate.unused_data
                self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self._pending = self._inflate.decompress(rest, _CHUNK)
                continue
            source = self._inflate.unconsumed_tail or self._raw.read(_CHUNK)
            if not source or (self._inflate.eof and not source.strip(b"\x00")):  # end, or NUL padding
                return 0
            self._pending = self._inflate.decompress(source, _CHUNK)
        with memoryview(buffer) as view:
            n = min(len(view), len(self._pending))
            view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self._out += n
        self._check()
        return n

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all when -1), within the limits."""
        if size >= 0:
            return super().read(size)
        out = bytearray()
        while chunk := super().read(_CHUNK):
            out += chunk
        return bytes(out)

    def _check(self) -> None:
        limits = self._ctx.limits
        if self._out > limits.max_total_bytes:
            raise StreamRefused(f"refused: decompresses to more than {limits.max_total_bytes:,} bytes")
        if self._out > limits.ratio_floor and self._out > limits.max_ratio * self._packed:
            raise StreamRefused(f"refused: compression ratio above {limits.max_ratio}:1 (a gzip bomb?)")


def _file(data: Buffer) -> IO[bytes]:
    """Return a file object over the bytes; a memory map is one already (and is not copied)."""
    if isinstance(data, mmap.mmap):
        return cast(IO[bytes], _MappedFile(data))
    return io.BytesIO(data)


class _MappedFile(io.RawIOBase):
    """A seekable file over a memory map (zipfile asks for `seekable`, which mmap lacks)."""

    def __init__(self, mapped: mmap.mmap) -> None:
        self._map = mapped
        mapped.seek(0)

    def readable(self) -> bool:
        """Return True."""
        return True

    def seekable(self) -> bool:
        """Return True."""
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Copy the next bytes of the map into `buffer`."""
        with memoryview(buffer) as view:
            chunk = self._map.read(len(view))
            view[: len(chunk)] = chunk
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move in the map; return the new position."""
        self._map.seek(offset, cast(Literal[0, 1, 2], whence))  # io's SEEK_*: mmap raises ValueError for others
        return self._map.tell()

    def tell(self) -> int:
        """Return the position in the map."""
        return self._map.tell()


def _too_deep(ctx: Context) -> bool:
    """True when this archive sits deeper in other archives than the limit allows."""
    return ctx.depth >= ctx.limits.max_depth


def _zip_time(date_time: tuple[int, int, int, int, int, int]) -> float | None:
    """Return a zip member's date as seconds since the epoch (read as UTC: zip stores no zone), or None.

    1980-01-01 00:00, the earliest date zip can store, is what archivers write when they have none.
    """
    if tuple(date_time) <= (1980, 1, 1, 0, 0, 0):
        return None
    try:
        return datetime(*date_time, tzinfo=UTC).timestamp()
    except ValueError:  # a corrupt date field
        return None


def _gzip_time(data: Buffer) -> float | None:
    """Return the modification time in a gzip header (RFC 1952), or None when it holds none (0)."""
    stamp = int.from_bytes(data[4:8], "little") if len(data) >= 10 else 0
    return float(stamp) if stamp else None


def _ignored(name: str) -> bool:
    """True for the hidden files and resource forks that archivers add (ingest skips hidden files too)."""
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") and p not in (".", "..") for p in parts) or "__MACOSX" in parts
