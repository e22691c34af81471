"""The marks file: tags and notes on documents, in SQLite next to the index folder.

The file is `<index folder name>.marks.sqlite` beside the index folder, not inside it: a full
rebuild swaps the index folder whole, and marks are the researcher's data, not the index's.
Marks are keyed by the document id, a hash of its collection and path (`documents.document_id`),
so a re-indexed or changed file keeps its marks. With each marked document the file records its
path, title and content hash as they were when last marked: a changed text is noticed by its
hash, and a deleted document's marks can still say what they were on.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from archive.documents import Document
from archive.errors import BadQuery

TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_NOTE_CHARS = 10_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, content_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
    doc_id TEXT NOT NULL, tag TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (doc_id, tag)
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, text TEXT NOT NULL,
    author TEXT NOT NULL, created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (tag);
CREATE INDEX IF NOT EXISTS notes_by_doc ON notes (doc_id);
"""


@dataclass(frozen=True)
class Tag:
    """One tag on one document, with who put it there and when (UTC)."""

    doc_id: str
    tag: str
    author: str
    created: str


@dataclass(frozen=True)
class Note:
    """One note on one document; `id` names it for removal."""

    id: int
    doc_id: str
    text: str
    author: str
    created: str


@dataclass
class MarkedDoc:
    """A marked document as the marks file last saw it, with its tags and notes."""

    doc_id: str
    path: str
    title: str
    content_hash: str  # the text's hash when it was last marked
    tags: list[Tag] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def marks_path(index_dir: Path) -> Path:
    """Return the marks file of an index folder: a sibling named after it."""
    index_dir = Path(index_dir).absolute()
    return index_dir.parent / f"{index_dir.name}.marks.sqlite"


def tag_name(text: str) -> str:
    """Return a tag as stored (lower case); raise `BadQuery` for one that a query could not name."""
    name = text.strip().lower()
    if not TAG.fullmatch(name):
        raise BadQuery(f"'{text}' is not a tag: use 1 to 64 letters, digits, - or _, starting with a letter or digit")
    return name


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class MarkStore:
    """The tags and notes of one index. Open one per thread (or per request)."""

    def __init__(self, index_dir: Path, readonly: bool = False):
        self.path = marks_path(index_dir)
        if readonly and not self.path.is_file():
            self._db = sqlite3.connect(":memory:", isolation_level=None)
        elif readonly:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, timeout=10)
            return
        else:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self._db.executescript(_SCHEMA)

    # -- writing --------------------------------------------------------------------------

    def add_tag(self, doc: Document, tag: str, author: str) -> bool:
        """Tag a document; return False when it already had the tag."""
        name = tag_name(tag)
        self._seen(doc)
        cur = self._db.execute("INSERT OR IGNORE INTO tags VALUES (?, ?, ?, ?)", (doc.id, name, author, _now()))
        return cur.rowcount == 1

    def remove_tag(self, doc_id: str, tag: str) -> bool:
        """Remove a tag from a document (present or orphaned); return False when it did not have it."""
        cur = self._db.execute("DELETE FROM tags WHERE doc_id = ? AND tag = ?", (doc_id, tag.strip().lower()))
        self._forget_unmarked(doc_id)
        return cur.rowcount == 1

    def add_note(self, doc: Document, text: str, author: str) -> Note:
        """Add a note to a document and return it."""
        text = text.strip()
        if not text:
            raise BadQuery("A note needs some text")
        if len(text) > MAX_NOTE_CHARS:
            raise BadQuery(f"A note is at most {MAX_NOTE_CHARS:,} characters")
        self._seen(doc)
        created = _now()
        cur = self._db.execute("INSERT INTO notes (doc_id, text, author, created) VALUES (?, ?, ?, ?)",
                               (doc.id, text, author, created))
        return Note(int(cur.lastrowid or 0), doc.id, text, author, created)

    def remove_note(self, note_id: int, doc_id: str | None = None) -> bool:
        """Remove a note by its number (only from `doc_id` when given); return False when there is none."""
        row = self._db.execute("SELECT doc_id FROM notes WHERE id = ?", (note_id,)).fetchone()
        if row is None or (doc_id is not None and row[0] != doc_id):
            return False
        self._db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
        self._forget_unmarked(row[0])
        return True

    def _seen(self, doc: Document) -> None:
        """Record the document's path, title and text hash as they are now."""
        self._db.execute("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)",
                         (doc.id, doc.path, doc.title, doc.content_hash))

    def _forget_unmarked(self, doc_id: str) -> None:
        """Drop the record of a document that has no mark left."""
        self._db.execute("DELETE FROM docs WHERE doc_id = ? AND doc_id NOT IN (SELECT doc_id FROM tags) "
                         "AND doc_id NOT IN (SELECT doc_id FROM notes)", (doc_id,))

    # -- reading --------------------------------------------------------------------------

    def tags_of(self, doc_id: str) -> list[Tag]:
        """Return a document's tags, by name."""
        rows = self._db.execute("SELECT * FROM tags WHERE doc_id = ? ORDER BY tag", (doc_id,))
        return [Tag(*r) for r in rows]

    def notes_of(self, doc_id: str) -> list[Note]:
        """Return a document's notes, oldest first."""
        rows = self._db.execute("SELECT * FROM notes WHERE doc_id = ? ORDER BY id", (doc_id,))
        return [Note(*r) for r in rows]

    def tagged(self, tag: str) -> set[str]:
        """Return the ids of the documents with this tag."""
        return {r[0] for r in self._db.execute("SELECT doc_id FROM tags WHERE tag = ?", (tag.strip().lower(),))}

    def with_tags(self) -> set[str]:
        """Return the ids of the documents with any tag."""
        return {r[0] for r in self._db.execute("SELECT DISTINCT doc_id FROM tags")}

    def with_notes(self) -> set[str]:
        """Return the ids of the documents with at least one note."""
        return {r[0] for r in self._db.execute("SELECT DISTINCT doc_id FROM notes")}

    def tag_counts(self) -> dict[str, int]:
        """Return every tag with its number of documents, most used first."""
        rows = self._db.execute("SELECT tag, COUNT(*) AS n FROM tags GROUP BY tag ORDER BY n DESC, tag")
        return {tag: n for tag, n in rows}

    def documents(self, tag: str | None = None) -> list[MarkedDoc]:
        """Return every marked document (or those with `tag`) with its marks, by path."""
        rows = self._db.execute("SELECT * FROM docs ORDER BY path, doc_id").fetchall()
        wanted = self.tagged(tag) if tag is not None else None
        out = []
        for row in rows:
            if wanted is not None and row[0] not in wanted:
                continue
            doc_id, path, title, content_hash = row
            out.append(MarkedDoc(doc_id, path, title, content_hash, self.tags_of(doc_id), self.notes_of(doc_id)))
        return out

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __enter__(self) -> MarkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
