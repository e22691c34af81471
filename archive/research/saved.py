"""Saved searches: a name for a query with its filters, kept in a SQLite file beside the index.

The file is `<index folder name>.saved.sqlite` next to the index folder (not inside it: a full
rebuild swaps the index folder, and saved searches are the users' data, not the index's). Only
the command line writes it (`archive saved add`); the web app reads it. What is new for a saved
search is what ingest runs after a given run added or changed (each document records its run).
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from archive.archive import Archive
from archive.documents import Document
from archive.errors import ArchiveError, BadQuery
from archive.research.runs import Run

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS saved (
    name TEXT PRIMARY KEY, query TEXT NOT NULL, sort TEXT NOT NULL, created TEXT NOT NULL, created_run TEXT NOT NULL
);
"""


@dataclass
class SavedSearch:
    """A query saved under a name, with the run that was the last one when it was saved."""

    name: str
    query: str
    sort: str
    created: str
    created_run: str


class UnknownSearch(ArchiveError):
    """No saved search has this name."""


def saved_path(index_dir: Path) -> Path:
    """Return the saved-search file of an index folder: a sibling named after it."""
    index_dir = Path(index_dir).absolute()
    return index_dir.parent / f"{index_dir.name}.saved.sqlite"


class SavedSearches:
    """The saved searches of one index."""

    def __init__(self, index_dir: Path, readonly: bool = False):
        self.path = saved_path(index_dir)
        if readonly:
            where = f"file:{self.path}?mode=ro" if self.path.is_file() else "file::memory:"
            self._db = sqlite3.connect(where, uri=True, isolation_level=None, check_same_thread=False)
            if not self.path.is_file():
                self._db.executescript(_SCHEMA)
        else:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.executescript(_SCHEMA)

    def add(self, archive: Archive, name: str, query: str, sort: str = "newest", replace: bool = False) -> SavedSearch:
        """Save a query under a name (checked: the query must parse); raise when the name is taken."""
        if not NAME.fullmatch(name):
            raise BadQuery("A saved search's name is 1 to 64 letters, digits, - or _, starting with a letter or digit")
        archive.tree(query)  # raises BadQuery with the reason when the query cannot run
        if not replace and self.get(name) is not None:
            raise BadQuery(f"A saved search named {name!r} exists; use --replace to change it")
        last = archive.last_run()
        saved = SavedSearch(name, query, sort, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            last.id if last else "")
        self._db.execute("INSERT OR REPLACE INTO saved VALUES (?, ?, ?, ?, ?)",
                         (saved.name, saved.query, saved.sort, saved.created, saved.created_run))
        return saved

    def remove(self, name: str) -> None:
        """Forget a saved search."""
        if self._db.execute("DELETE FROM saved WHERE name = ?", (name,)).rowcount == 0:
            raise UnknownSearch(f"No saved search named {name!r}")

    def get(self, name: str) -> SavedSearch | None:
        """Return the saved search with this name, or None."""
        row = self._db.execute("SELECT * FROM saved WHERE name = ?", (name,)).fetchone()
        return SavedSearch(*row) if row else None

    def all(self) -> list[SavedSearch]:
        """Return every saved search, by name."""
        return [SavedSearch(*r) for r in self._db.execute("SELECT * FROM saved ORDER BY name")]

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> SavedSearches:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Status:
    """What is new for one saved search."""

    saved: SavedSearch
    last_run: Run | None
    new_in_last_run: list[Document]  # added or changed by the last run
    new_since_visit: list[Document]  # added or changed by runs after the visit's run
    feed: list[Document]  # everything new since the search was saved, newest run first


def status(archive: Archive, saved: SavedSearch, visited_run: str | None = None) -> Status:
    """Return what runs added for a saved search: in the last run, since a visit, since it was saved."""
    runs = archive.runs()
    done = [r for r in runs if r.finished]
    last = done[-1] if done else None
    before_last = done[-2].id if len(done) > 1 else ""
    since = visited_run if visited_run is not None else saved.created_run
    every = archive.new_since(saved.query, min(before_last, since, saved.created_run))
    return Status(saved, last, [d for d in every if last is not None and d.run_id > before_last],
                  [d for d in every if d.run_id > since], [d for d in every if d.run_id > saved.created_run])
