"""Slow down password guessing: failed logins from one client earn it a growing wait.

The first `FREE_FAILURES` failures from one address are answered with a plain 401. After that,
each failure makes the client wait twice as long as the last one (2 s, 4 s, ... at most
`MAX_WAIT`) before its next attempt is even looked at; an attempt inside the wait gets 429 with
`Retry-After`, without running the (deliberately slow) password check, so guessing costs the
server nothing. A successful login clears the client's record. Clients are told apart by the
address the server sees: behind a reverse proxy that is the proxy's (SECURITY.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

FREE_FAILURES = 5
MAX_WAIT = 900.0  # seconds: 15 minutes
FORGET_AFTER = 3600.0  # a client's record is dropped an hour after its last failure
MAX_CLIENTS = 10_000  # records kept; the oldest are dropped beyond this


class LoginThrottle:
    """Count failed logins per client address and say how long a client must wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # address -> (failures, time of the last one)

    def wait(self, client: str) -> int:
        """Return the whole seconds the client must still wait before its next attempt (0: go on)."""
        with self._lock:
            failures, last = self._failures.get(client, (0, 0.0))
        if failures < FREE_FAILURES:
            return 0
        left = last + _backoff(failures) - self._clock()
        return math.ceil(left) if left > 0 else 0

    def failed(self, client: str) -> None:
        """Record a failed login of the client."""
        now = self._clock()
        with self._lock:
            failures, _ = self._failures.get(client, (0, 0.0))
            self._failures[client] = (failures + 1, now)
            if len(self._failures) > MAX_CLIENTS:
                self._forget(now)

    def succeeded(self, client: str) -> None:
        """Forget the client's failures."""
        with self._lock:
            self._failures.pop(client, None)

    def _forget(self, now: float) -> None:
        stale = [c for c, (_, last) in self._failures.items() if now - last > FORGET_AFTER]
        for c in stale or sorted(self._failures, key=lambda c: self._failures[c][1])[: len(self._failures) // 2]:
            del self._failures[c]


def _backoff(failures: int) -> float:
    """Return the wait after this many failures (counted from the first one beyond the free ones)."""
    return min(MAX_WAIT, 2.0 ** (failures - FREE_FAILURES + 1))
