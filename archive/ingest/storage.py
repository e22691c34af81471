"""Turn a refused write (a full disk, a read-only file system, permissions) into a plain message.

A full disk used to end an ingest with "unexpected error: OSError: [Errno 28] No space left on
device", naming no path and no remedy. The message now names the file or the index folder, the
operating system's reason, and what to do; the index stays at its last commit (the writer is
cancelled and its partial files removed), so the next run, once there is space, finishes the job.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import StorageFailed

_REMEDY = {
    errno.ENOSPC: "free space on that disk (df -h shows it)",
    errno.EDQUOT: "raise the disk quota or free space",
    errno.EROFS: "mount the file system writable",
    errno.EACCES: "give the account that runs the ingest write access",
    errno.EPERM: "give the account that runs the ingest write access",
    errno.EFBIG: "raise the file size limit (ulimit -f)",
}
_SQLITE_FULL = ("disk is full", "disk i/o error", "readonly database")


@contextmanager
def storage_errors(index: Path) -> Iterator[None]:
    """Raise `StorageFailed` with a plain message for an OS error or a full disk inside the block."""
    try:
        yield
    except OSError as exc:
        raise StorageFailed(storage_message(index, exc)) from exc
    except sqlite3.OperationalError as exc:
        if not any(words in str(exc).lower() for words in _SQLITE_FULL):
            raise
        raise StorageFailed(storage_message(index, OSError(errno.ENOSPC, str(exc)))) from exc


def storage_message(index: Path, exc: OSError) -> str:
    """Return what failed, where, and what to do."""
    where = exc.filename or index
    reason = exc.strerror or str(exc)
    remedy = _REMEDY.get(exc.errno or 0, "fix the cause")
    return (f"Cannot write {where}: {reason}. {remedy[0].upper() + remedy[1:]}, then run the ingest again: "
            f"the index at {index} is at its last commit and the next run finishes the job.")
