"""One ingest at a time: an exclusive lock file beside the index that names its holder.

The lock is an `flock` on `<index>.ingest.lock`: the kernel releases it when the holding process
dies, however it dies, so a lock left by a dead process never blocks the next run. The file's
content names the holder (pid, host, start time) for the message a second ingest prints; a run
that ends empties it, so a run that finds it filled in knows its predecessor died, and says so.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import IndexLocked

logger = logging.getLogger(__name__)


def lock_path(index_dir: Path) -> Path:
    """Return the lock file of an index folder (beside it, so a full rebuild can swap folders)."""
    # Resolve the parent only: the index folder itself is replaced by full rebuilds.
    index_dir = Path(os.path.abspath(index_dir))
    return index_dir.parent.resolve() / f".{index_dir.name}.ingest.lock"


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
        if os.fstat(fd).st_size:
            logger.warning("An earlier ingest (%s) ended without releasing its lock (killed?); "
                           "its lock was cleared and this run finishes its work", _holder(path))
        os.ftruncate(fd, 0)
        try:
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}).encode())
        except OSError as exc:  # a full disk: the flock is what locks; the holder's name is a courtesy
            logger.warning("could not write the holder of the lock %s (%s)", path, exc.strerror)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # the run ended (even with an error): no dead predecessor to report
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return f"pid {info.get('pid')} on {info.get('host')}, since {info.get('started')}"
    except (OSError, ValueError):
        return "holder unknown"
