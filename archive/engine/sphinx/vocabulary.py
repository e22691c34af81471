"""The words a cluster may hold, kept beside the archive's manifest, for prefix and fuzzy expansion.

Sphinx 2.2 cannot list its dictionary, only count given words (`CALL KEYWORDS`). So ingest records
every exact word it sends (a superset: words of deleted documents stay), expansion takes its
candidates from here, and the engine's own counts decide which candidates exist and which are
the most frequent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

FILE = "vocabulary.sqlite"


class Vocabulary:
    """A set of folded words in SQLite; safe to read while one ingest writes."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FILE

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY) WITHOUT ROWID")
        return conn

    def add(self, words: Iterable[str]) -> None:
        """Record words."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            with conn:
                conn.executemany("INSERT OR IGNORE INTO words VALUES (?)", ((w,) for w in set(words)))
        finally:
            conn.close()

    def starting(self, prefix: str) -> list[str]:
        """Return the words that start with a prefix."""
        return self._select("SELECT word FROM words WHERE word >= ? AND word < ?", (prefix, prefix + "\U0010ffff"))

    def near(self, word: str, distance: int, keep_first: bool) -> list[str]:
        """Return the words within an edit distance (the first letter kept when asked)."""
        lo, hi = len(word) - distance, len(word) + distance
        if keep_first:
            rows = self._select("SELECT word FROM words WHERE word >= ? AND word < ? AND length(word) BETWEEN ? AND ?",
                                (word[0], word[0] + "\U0010ffff", lo, hi))
        else:
            rows = self._select("SELECT word FROM words WHERE length(word) BETWEEN ? AND ?", (lo, hi))
        return [w for w in rows if within(word, w, distance)]

    def _select(self, sql: str, args: tuple) -> list[str]:
        if not self.path.exists():
            return []
        conn = self._connect()
        try:
            return [r[0] for r in conn.execute(sql, args)]
        finally:
            conn.close()


def within(a: str, b: str, limit: int) -> bool:
    """Return True when the Levenshtein distance of two words is at most `limit` (banded, early exit)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > limit:
            return False
        prev = cur
    return prev[-1] <= limit
