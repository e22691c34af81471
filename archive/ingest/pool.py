"""Run a function over many items in forked worker processes; results come back in item order.

Ingest cleans files here while the parent feeds the index writer. The workers are forked, so the
function and everything it reads (the pass's file list, the learnt lines) are the parent's as they
were at the fork: only item numbers and results cross the pipes. A worker that dies (a crash in
a C library, the OOM killer) or that works on one item longer than `timeout` seconds costs that
item alone: it is answered with a `Lost` naming why, a new worker takes the rest of the chunk.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

logger = logging.getLogger(__name__)
# Longer than any one file should take to clean (an OCR'd PDF of a few hundred pages): a worker
# silent for this long on one file is stuck, and the file is reported instead of stalling the run.
ITEM_TIMEOUT = 900.0
CHUNK = 16  # items per message: cheap pipes, yet a dead worker re-queues little
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Lost:
    """The answer for an item whose worker died or hung on it."""

    reason: str


@dataclass
class _Worker:
    process: Any
    conn: Connection
    pending: deque[int] = field(default_factory=deque)  # items sent, not yet answered, in order
    since: float = field(default_factory=time.monotonic)  # last answer (or start of work)


def ordered_map(fn: Callable[[int], Any], items: list[int], procs: int, *, chunk: int = CHUNK,
                timeout: float = ITEM_TIMEOUT,
                work: tuple[str, str] = ("cleaning", "file")) -> Iterator[tuple[int, Any]]:
    """Yield (item, fn(item)) for every item, in the order given, computed by `procs` forked workers.

    `fn` should catch its own errors; one that escapes is answered as a `Lost`, like a crash.
    Closing the iterator early stops the workers. `work` names what a worker does and what an
    item is, for the reasons a `Lost` gives.
    """
    pool = _Pool(fn, procs, chunk, timeout, work)
    try:
        yield from pool.run(items)
    finally:
        pool.close()


class _Pool:
    def __init__(self, fn: Callable[[int], Any], procs: int, chunk: int, timeout: float, work: tuple[str, str]):
        self.fn, self.procs, self.chunk, self.timeout = fn, max(1, procs), max(1, chunk), timeout
        self.doing, self.item = work
        self.ctx = multiprocessing.get_context("fork")
        self.workers: list[_Worker] = []
        self.results: dict[int, Any] = {}
        self.todo: deque[list[int]] = deque()
        self.wanted = -1  # the item the caller waits for: always fed, whatever the lead

    def run(self, items: list[int]) -> Iterator[tuple[int, Any]]:
        """Hand out chunks, collect answers, yield them in order."""
        self.todo = deque(items[i:i + self.chunk] for i in range(0, len(items), self.chunk))
        self.workers = [self._start() for _ in range(min(self.procs, len(self.todo)))]
        for item in items:
            self.wanted = item
            while item not in self.results:
                self._feed()
                self._collect()
            yield item, self.results.pop(item)

    def _start(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_serve, args=(child, self.fn), daemon=True)
        process.start()
        child.close()  # only the worker holds its end: its death reads as end-of-file here
        return _Worker(process, parent)

    def _feed(self) -> None:
        """Keep two chunks in flight per worker (one to work on, one waiting), within a bounded lead."""
        for w in self.workers:
            while self.todo and len(w.pending) < 2 * self.chunk and (
                    len(self.results) < 64 * self.chunk or self.wanted in self.todo[0]):
                batch = self.todo.popleft()
                if not w.pending:
                    w.since = time.monotonic()
                w.conn.send(batch)
                w.pending.extend(batch)

    def _collect(self) -> None:
        """Wait for answers (or a death, or a stuck worker) and record them."""
        busy = [w for w in self.workers if w.pending]
        now = time.monotonic()
        wait_for = max(0.0, min(w.since + self.timeout for w in busy) - now) if busy else None
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=wait_for)
        for w in busy:
            if w.conn in ready or w.process.sentinel in ready:
                self._read(w)
            elif w.pending and time.monotonic() - w.since >= self.timeout:
                w.process.kill()
                self._replace(w, f"{self.doing} took longer than {self.timeout:.0f} s; the process was stopped")

    def _read(self, w: _Worker) -> None:
        try:
            while w.conn.poll():
                item, result = w.conn.recv()
                self.results[item] = result
                w.pending.remove(item)
                w.since = time.monotonic()
        except (EOFError, OSError):
            pass
        if not w.process.is_alive() and w.pending:
            w.process.join()
            code = w.process.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            self._replace(w, f"the {self.doing} process died on this {self.item} ({how})")

    def _replace(self, w: _Worker, reason: str) -> None:
        """Answer the item a dead worker was on with `Lost`, re-queue the rest, start another worker."""
        w.process.join()
        w.conn.close()
        lost = w.pending.popleft()
        logger.error("item %s: %s", lost, reason)
        self.results[lost] = Lost(reason)
        rest = list(w.pending)
        for i in range(len(rest) - 1, -1, -self.chunk):  # back to the front of the queue, in order
            self.todo.appendleft(rest[max(0, i - self.chunk + 1):i + 1])
        self.workers[self.workers.index(w)] = self._start()

    def close(self) -> None:
        """Stop every worker (they exit at the end of their pipe, or are killed)."""
        for w in self.workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in self.workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self.workers = []


def _serve(conn: Connection, fn: Callable[[int], Any]) -> None:
    """A worker: answer each item of each chunk received, until told to stop."""
    become_worker()
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        if batch is None:
            return
        for item in batch:
            try:
                result = fn(item)
            except Exception as exc:  # noqa: BLE001 - reported for this item; the worker goes on
                result = Lost(f"{type(exc).__name__}: {exc}")
            conn.send((item, result))


def become_worker() -> None:
    """Make a forked process a worker of the ingest process: it dies with it, and leaves Ctrl-C and
    stop signals to it (systemd signals every process of the unit)."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the parent dies (it holds the parent's ingest lock)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker still ends at the end of its pipe
        pass
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)
