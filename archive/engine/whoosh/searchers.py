"""Open indexes and share searchers between threads safely (DESIGN.md §2).

Refreshing a shared Whoosh searcher in place breaks searches running in other threads, so
instead each index generation has its own pool of searchers: each request takes one and gives it
back; when a commit lands, new requests get searchers of the new generation, and the old ones
close when their last user gives them back.
A full rebuild swaps a new folder in at the same path (`WhooshRebuild.swap_in`, rebuild.py): the manager
tells generations apart by the folder's inode as well as the commit number, so it notices.
A server passes a `warm` function: the manager then looks for a new commit every few seconds
and warms each new generation in the background (its column table, its vocabularies), so the
first search after a nightly ingest does not pay for them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, Index
from whoosh.searching import Searcher

from archive.engine.whoosh.verify import has_index
from archive.errors import IndexNotFound, IndexUnreadable

logger = logging.getLogger(__name__)
_OPEN_RETRIES = 8
WATCH_EVERY = 5.0  # seconds between two looks for a new commit, when warming
T = TypeVar("T")


def open_index(path: Path) -> Index:
    """Open an existing index, retrying while a commit replaces its table of contents."""
    if not _exists(path):
        raise IndexNotFound(f"No index at {path}. Create one with: archive ingest --index {path} FOLDER")
    return retry_read(lambda: _open_dir(path), path)


def _open_dir(path: Path) -> Index:
    """Open the index in a folder, reading segment files in place.

    With memory maps, Whoosh copies each file of a compound segment into a `BytesIO` when a
    reader opens it: about 880 MB per reader at 100,000 documents, and every searcher of the
    pool has its own reader (a server held 4.3 GB). Without, it reads the same bytes from
    the file as they are needed.
    """
    return FileStorage(str(path), supports_mmap=False).open_index()


def _exists(path: Path) -> bool:
    """Return True when an index is in the folder, looking twice across a non-atomic folder swap."""
    if has_index(path):
        return True
    time.sleep(0.05)  # the moment between two renames when renameat2 is not available
    return has_index(path)


def generation_key(path: Path, ix: Index) -> tuple[int, int, int]:
    """Return (device, inode, generation): it changes with every commit and every folder swap."""
    st = path.stat()
    return st.st_dev, st.st_ino, ix.latest_generation()


def retry_read(fn: Callable[[], T], path: Path) -> T:
    """Return what `fn` reads of the index, read again (with a growing pause) while commits replace its files."""
    delay = 0.01
    for attempt in range(_OPEN_RETRIES):
        try:
            return fn()
        except (FileNotFoundError, EmptyIndexError) as exc:
            # A commit in another process replaced a _MAIN_N.toc between listing and reading.
            if attempt == _OPEN_RETRIES - 1:
                raise IndexUnreadable(f"Cannot open the index at {path}: {exc}") from exc
            time.sleep(delay)
            delay *= 2
        except Exception as exc:  # noqa: BLE001 - a corrupt index must become a plain message
            raise IndexUnreadable(f"Cannot open the index at {path}: {exc}") from exc
    raise AssertionError("unreachable")


class _Entry:
    """One index generation: its index object and a pool of searchers over it.

    A Whoosh searcher is not safe to use from two threads at once (readers share file
    positions: concurrent stored-field reads fail with unpickling errors), so each request
    gets a searcher of its own from the pool, and gives it back when done.
    """

    def __init__(self, ix: Index, generation: tuple[int, int, int]):
        self.ix, self.generation = ix, generation
        self.idle: list[Searcher] = []
        self.users = 0
        self.retired = False

    def close(self) -> None:
        for searcher in self.idle:
            searcher.close()
        self.idle.clear()
        self.ix.close()


class SearcherManager:
    """Hand out searchers of the newest committed generation; close old ones when unused."""

    def __init__(self, path: Path, warm: Callable[[Searcher], None] | None = None):
        self.path = path
        self.warm = warm
        self._lock = threading.Lock()
        self._current: _Entry | None = None
        self._ix: Index | None = None
        self.warmers: list[threading.Thread] = []
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def open(self) -> None:
        """Open the newest generation now (and start warming it), instead of at the first search.

        When warming, also start watching for new commits.
        """
        with self.acquire():
            pass
        if self.warm is not None and self._watcher is None:
            self._stop.clear()
            self._watcher = threading.Thread(target=self._watch, name="archive-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_EVERY):
            try:
                with self.acquire():  # opens (and warms) a new generation if a commit landed
                    pass
            except Exception:  # noqa: BLE001 - the next search reports a real problem; keep watching
                logger.debug("could not look for a new commit", exc_info=True)

    @contextmanager
    def acquire(self) -> Iterator[Searcher]:
        """Yield a searcher for this thread alone, valid until the block ends."""
        entry, searcher = self._checkout()
        try:
            yield searcher
        finally:
            self._release(entry, searcher)

    def _checkout(self) -> tuple[_Entry, Searcher]:
        for attempt in range(_OPEN_RETRIES):
            with self._lock:
                if self._ix is None:
                    self._ix = open_index(self.path)
                latest = retry_read(lambda: generation_key(self.path, self._ix), self.path)
                if self._current is None or self._current.generation != latest or attempt:
                    self._swap(latest)
                entry = self._current
                assert entry is not None
                entry.users += 1
                searcher = entry.idle.pop() if entry.idle else None
            if searcher is not None:
                return entry, searcher
            try:
                return entry, entry.ix.searcher()
            except (FileNotFoundError, OSError):
                # A commit replaced this generation's files between the check and the open.
                self._release(entry, None)
        raise IndexUnreadable(f"Cannot open a searcher on the index at {self.path}")

    def _swap(self, key: tuple[int, int, int]) -> None:
        # The key was read before opening: if a commit lands in between, the next checkout
        # sees a newer key and opens again (one extra open, never a stale searcher).
        ix = retry_read(lambda: _open_dir(self.path), self.path)
        new = _Entry(ix, key)
        old, self._current = self._current, new
        logger.debug("opened index generation %s", new.generation)
        if self.warm is not None:
            new.users += 1  # the warming thread's searcher: the generation stays open until it is done
            thread = threading.Thread(target=self._warm, args=(new, self.warm), name="archive-warm", daemon=True)
            self.warmers = [t for t in self.warmers if t.is_alive()] + [thread]
            thread.start()
        if old is not None:
            old.retired = True
            if old.users == 0:
                old.close()

    def _warm(self, entry: _Entry, warm: Callable[[Searcher], None]) -> None:
        searcher = None
        try:
            if not entry.retired:
                searcher = entry.ix.searcher()
                started = time.monotonic()
                warm(searcher)
                logger.info("warmed index generation %s in %.2f s", entry.generation, time.monotonic() - started)
        except Exception:  # noqa: BLE001 - warming only saves time; a search does the same work if it fails
            logger.warning("could not warm index generation %s", entry.generation, exc_info=True)
        finally:
            self._release(entry, searcher)

    def wait_warm(self, timeout: float | None = None) -> None:
        """Wait until the generations opened so far are warmed."""
        for thread in list(self.warmers):
            thread.join(timeout)

    def _release(self, entry: _Entry, searcher: Searcher | None) -> None:
        with self._lock:
            entry.users -= 1
            if searcher is not None:
                if entry.retired:
                    searcher.close()
                else:
                    entry.idle.append(searcher)
            if entry.retired and entry.users == 0:
                entry.close()

    def close(self) -> None:
        """Close every idle searcher (call when the process is done searching)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        self.wait_warm()
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.users == 0:
                    self._current.close()
                self._current = None
            if self._ix is not None:
                self._ix.close()
                self._ix = None
