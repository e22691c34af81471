"""The log of ingest runs and the tombstones of deleted documents, in a SQLite file in the index folder.

Every ingest run that writes gets an id (a zero-padded sequence number, so ids sort as text) and
its start and finish times; each document stores the run that added or last changed it. A
deleted document keeps a tombstone: its stored fields, the run that had added it and the run
that deleted it, so a result set cited at an earlier run can still be compared (issue 12). Only
ingest writes here, under the ingest lock; a full rebuild carries the file over to the new folder.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from archive.documents import Document

logger = logging.getLogger(__name__)
FILENAME = "runs.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, started TEXT NOT NULL, finished TEXT,
    added INTEGER, updated INTEGER, deleted INTEGER, full INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tombstones (
    id TEXT NOT NULL, run_id TEXT NOT NULL, deleted_run TEXT NOT NULL, deleted_at TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (id, deleted_run)
);
"""


@dataclass
class Run:
    """One ingest run: its id, when it started and finished, and what it changed."""

    id: str
    started: str
    finished: str | None = None
    added: int | None = None
    updated: int | None = None
    deleted: int | None = None
    full: bool = False


@dataclass
class Tombstone:
    """A deleted document as it was, with the run that added it and the run that deleted it."""

    doc: Document
    run_id: str
    deleted_run: str
    deleted_at: str


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class RunLog:
    """The runs and tombstones of one index folder; opened per use, never held across a swap."""

    def __init__(self, index_dir: Path, readonly: bool = False):
        self.path = Path(index_dir) / FILENAME
        if readonly:
            where = f"file:{self.path}?mode=ro" if self.path.is_file() else "file::memory:"
            self._db = sqlite3.connect(where, uri=True, isolation_level=None, check_same_thread=False)
            if not self.path.is_file():
                self._db.executescript(_SCHEMA)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.executescript(_SCHEMA)

    def begin(self, full: bool = False) -> str:
        """Record the start of a run and return its id."""
        seq = (self._db.execute("SELECT MAX(seq) FROM runs").fetchone()[0] or 0) + 1
        run_id = f"{seq:06d}"
        self._db.execute("INSERT INTO runs (seq, id, started, full) VALUES (?, ?, ?, ?)",
                         (seq, run_id, _now(), int(full)))
        return run_id

    def finish(self, run_id: str, added: int, updated: int, deleted: int) -> None:
        """Record the end of a run and what it changed."""
        self._db.execute("UPDATE runs SET finished = ?, added = ?, updated = ?, deleted = ? WHERE id = ?",
                         (_now(), added, updated, deleted, run_id))

    def bury(self, docs: Iterable[Document], deleted_run: str) -> None:
        """Keep a tombstone of each document deleted by a run."""
        rows = [(d.id, d.run_id, deleted_run, _now(), json.dumps(d.to_dict(), ensure_ascii=False)) for d in docs]
        self._db.executemany("INSERT OR REPLACE INTO tombstones VALUES (?, ?, ?, ?, ?)", rows)

    def runs(self) -> list[Run]:
        """Return every run, oldest first."""
        rows = self._db.execute("SELECT id, started, finished, added, updated, deleted, full FROM runs ORDER BY seq")
        return [Run(run_id, started, finished, added, updated, deleted, bool(full))
                for run_id, started, finished, added, updated, deleted, full in rows]

    def last(self) -> Run | None:
        """Return the last finished run, or None."""
        done = [r for r in self.runs() if r.finished]
        return done[-1] if done else None

    def get(self, run_id: str) -> Run | None:
        """Return the run with this id, or None."""
        return next((r for r in self.runs() if r.id == run_id), None)

    def tombstones(self, after: str = "") -> list[Tombstone]:
        """Return the tombstones of documents deleted by runs after `after` (all when empty)."""
        rows = self._db.execute("SELECT doc, run_id, deleted_run, deleted_at FROM tombstones WHERE deleted_run > ? "
                                "ORDER BY deleted_run, id", (after,))
        return [Tombstone(Document.from_dict(json.loads(r[0])), r[1], r[2], r[3]) for r in rows]

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

