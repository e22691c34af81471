"""Turn SIGTERM and SIGINT into an exception, so a stopped ingest ends cleanly and says so.

Without this, SIGTERM (systemd stopping the unit, `kill`) ended the process on the spot and
SIGINT printed a traceback. With it, the signal raises `Interrupted` in the main thread: the
writer's open batch is cancelled (never committed half), the lock is released, and the command
reports what was committed. A second signal during that cleanup is ignored. A signal that
arrives inside `shielded()` (a commit and the manifest that follows it) waits for its end.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class _Shield:
    """How deep the `shielded()` blocks nest, and a stop signal held back until they end."""

    depth: int = 0
    pending: int | None = None


_shield = _Shield()


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, like KeyboardInterrupt: no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.exit_code = 128 + signum  # what a shell reports for a process killed by the signal


@contextmanager
def interruptible() -> Iterator[None]:
    """Raise `Interrupted` in the main thread when SIGTERM or SIGINT arrives inside the block."""

    def stop(signum: int, frame: object) -> None:
        if _shield.depth:
            _shield.pending = signum
            return
        for s in SIGNALS:  # the cleanup that follows must not be interrupted again
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in SIGNALS}
    _shield.pending = None
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold a stop signal back until the block ends (then raise `Interrupted`), so it runs whole."""
    _shield.depth += 1
    try:
        yield
    finally:
        _shield.depth -= 1
    pending = _shield.pending
    if pending is not None and not _shield.depth:
        _shield.pending = None
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(pending)
