"""One ingest at a time: an exclusive lock file beside the index that names its holder.

The lock is an `flock` on `<index>.ingest.lock`: the kernel releases it when the holding process
dies, however it dies, so a lock left by a dead process never blocks the next run. The file's
content names the holder (pid, host, start time) for the message a second ingest prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import IndexLocked


def lock_path(index_dir: Path) -> Path:
    """Return the lock file of an index folder (beside it, so a full rebuild can swap folders)."""
    index_dir = Path(index_dir).resolve()
    return index_dir.parent / f".{index_dir.name}.ingest.lock"


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """Hold the ingest lock for the block; raise `IndexLocked` naming the holder if it is taken."""
    path = lock_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLocked(f"Another ingest is running on {index_dir} ({_holder(path)}); try again later") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode())
        yield
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return f"pid {info.get('pid')} on {info.get('host')}, since {info.get('started')}"
    except (OSError, ValueError):
        return "holder unknown"
