"""The ingest manifest: a SQLite cache, inside the index folder, of what the index holds per file.

The index is the source of truth (DESIGN.md §7). The manifest is stamped with the index commit it
describes and is written only after that commit, in one transaction; when its stamp does not
match the index (a run was killed between the two), it is rebuilt from the index's stored fields.
So it can never claim a file that the index does not hold, or miss one that it does.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

logger = logging.getLogger(__name__)

FILENAME = "manifest.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, collection TEXT NOT NULL, relpath TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, content_hash TEXT NOT NULL, raw_hash TEXT NOT NULL, pipeline TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS files_by_file ON files (collection, relpath);
"""
_COLUMNS = "id, collection, relpath, size, mtime_ns, content_hash, raw_hash, pipeline"


class Entry(NamedTuple):
    """What is known about one indexed file: enough to tell, from one stat, that it is unchanged."""

    id: str
    collection: str
    relpath: str
    size: int
    mtime_ns: int
    content_hash: str
    raw_hash: str  # hash of the file's bytes ("" when unknown: the index does not store it)
    pipeline: str


class Manifest:
    """The manifest of one index folder."""

    def __init__(self, index_dir: Path, readonly: bool = False):
        self.path = Path(index_dir) / FILENAME
        self._scratch = False
        if readonly:
            self._db = self._open_readonly()
        else:
            self._db = self._open_writable()

    def _open_writable(self) -> sqlite3.Connection:
        """Open (or create) the file; a damaged one is removed and started afresh.

        The manifest is a cache: an empty one is rebuilt from the index by the ingest that opens it.
        """
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.executescript(_SCHEMA)
            db.execute("SELECT count(*) FROM files").fetchone()
            return db
        except sqlite3.DatabaseError as exc:
            db.close()
            logger.warning("The manifest %s is damaged (%s): rebuilding it from the index", self.path, exc)
            for leftover in (self.path, self.path.with_name(self.path.name + "-journal")):
                leftover.unlink(missing_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None)
            db.executescript(_SCHEMA)
            return db

    def _open_readonly(self) -> sqlite3.Connection:
        """Open the file read-only (a dry run touches nothing), or an empty manifest in memory.

        A run killed while creating the file may have left it without tables, or with a journal
        that only a writer can roll back: then the caller rebuilds from the index, in memory.
        """
        if self.path.is_file():
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            try:
                names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if {"files", "meta"} <= names:
                    return db
            except sqlite3.Error as exc:
                logger.info("cannot read %s read-only (%s): starting from the index", self.path, exc)
            db.close()
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(_SCHEMA)
        return db

    @staticmethod
    def check(index_dir: Path) -> str | None:
        """Return what is wrong with the manifest file of an index folder, or None (a missing one is fine)."""
        path = Path(index_dir) / FILENAME
        if not path.exists():
            return None
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            return f"it cannot be opened ({exc})"
        try:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
            db.execute("SELECT count(*) FROM files").fetchone()
            return None if result == "ok" else f"it is damaged ({result})"
        except sqlite3.Error as exc:
            return f"it cannot be read ({exc})"
        finally:
            db.close()

    def stamp(self) -> str | None:
        """Return the stamp of the index commit the manifest describes, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
        return row[0] if row else None

    def entries(self) -> dict[str, Entry]:
        """Return every entry, by document id."""
        return {r[0]: Entry(*r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM files")}

    def entry(self, doc_id: str) -> Entry | None:
        """Return the entry of one document, or None."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM files WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else Entry(*row)

    def file_entries(self, collection: str, relpath: str) -> list[Entry]:
        """Return the entries of one file (one a document it gave), by id."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM files WHERE collection = ? AND relpath = ? ORDER BY id",
                                (collection, relpath))
        return [Entry(*row) for row in rows]

    def file_states(self, chunk: int) -> Iterator[list[tuple[str, str, int, int, str]]]:
        """Yield (collection, relpath, size, mtime_ns, pipeline) of every entry, `chunk` rows at a time."""
        cursor = self._db.execute("SELECT collection, relpath, size, mtime_ns, pipeline FROM files")
        while rows := cursor.fetchmany(chunk):
            yield rows

    def files_of(self, collections: Iterable[str], chunk: int) -> Iterator[list[tuple[str, str, str]]]:
        """Yield (id, collection, relpath) of the entries of these collections, `chunk` rows at a time."""
        for name in sorted(set(collections)):
            cursor = self._db.execute("SELECT id, collection, relpath FROM files WHERE collection = ?", (name,))
            while rows := cursor.fetchmany(chunk):
                yield rows

    def missing_from(self, other: Manifest) -> list[str]:
        """Return the ids of this manifest's entries that another manifest does not hold, sorted."""
        self._db.execute("ATTACH DATABASE ? AS other", (str(other.path),))
        try:
            return [row[0] for row in self._db.execute(
                "SELECT id FROM main.files WHERE id NOT IN (SELECT id FROM other.files) ORDER BY id")]
        finally:
            self._db.execute("DETACH DATABASE other")

    def apply(self, upsert: Iterable[Entry], delete: Iterable[str], stamp: str | None, *, clear: bool = False) -> None:
        """Record a commit: add or replace entries, drop deleted ids and move the stamp, atomically."""
        with _transaction(self._db):
            if clear:
                self._db.execute("DELETE FROM files")
            self._db.executemany(f"INSERT OR REPLACE INTO files ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                                 upsert)
            self._db.executemany("DELETE FROM files WHERE id = ?", ((i,) for i in delete))
            if stamp is not None:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('stamp', ?)", (stamp,))

    def ids(self) -> set[str]:
        """Return the ids of every entry."""
        return {row[0] for row in self._db.execute("SELECT id FROM files")}

    def counts(self) -> tuple[int, int]:
        """Return the number of documents and of distinct cleaned texts among them."""
        row = self._db.execute("SELECT count(*), count(DISTINCT content_hash) FROM files").fetchone()
        return int(row[0]), int(row[1])

    def rebuild(self, entries: Iterable[Entry], stamp: str) -> None:
        """Replace every entry with what the index holds, stamped with its commit."""
        self.apply(entries, (), stamp, clear=True)

    @classmethod
    def scratch(cls, entries: Iterable[Entry], stamp: str) -> Manifest:
        """Return a manifest of these entries in a temporary folder, removed when it is closed (a dry
        run that must not rewrite the index's own manifest)."""
        manifest = cls(Path(tempfile.mkdtemp(prefix="archive-manifest-")))
        manifest._scratch = True
        manifest.rebuild(entries, stamp)
        return manifest

    def close(self) -> None:
        """Close the database (and remove a scratch manifest's folder)."""
        self._db.close()
        if self._scratch:
            shutil.rmtree(self.path.parent, ignore_errors=True)

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error (sqlite3's implicit transactions are off)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
