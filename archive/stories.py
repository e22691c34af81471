"""Story clusters: syndicated copies of one text (small edits, a new headline, an added paragraph).

Each document's body is cut into word shingles (3 consecutive words, case-folded); a MinHash
signature (datasketch, 128 permutations) estimates the Jaccard similarity of two shingle sets, and
an LSH index (datasketch's `MinHashLSH`, bands chosen for `THRESHOLD`) finds the candidates of a
new document without comparing it with every other one.

Assignment is incremental ("leader-follower"): a document joins the story of its most similar
indexed document when their estimated Jaccard similarity reaches `THRESHOLD`, and otherwise
starts a story named after its own id. Labels are never rewritten after the fact: deleting a
document removes its signature but leaves the labels of the others as they are, and a document
that resembles two stories joins the closer one (stories are not merged). A full rebuild
(`archive ingest --full`) assigns every label afresh, in walk order.

The labels live in the index (the `story` field, the source of truth). Signatures live beside it
in `stories.sqlite`, stamped with the index commit they describe, like the manifest: when the
stamp does not match (a run killed between the two commits), the signatures are recomputed from
the index's stored texts and labels.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from datasketch import LeanMinHash

logger = logging.getLogger(__name__)

FILENAME = "stories.sqlite"
# Jaccard similarity of 3-word shingle sets at or above which two texts are one story. Chosen with
# bench/stories.py on generated syndicated copies of Reuters stories (docs/related.md): 0.5 lost
# a quarter of the copy pairs of short wire stories (a few changed words cut many shingles of a
# 60-word text), 0.3 began to join distinct stories; 0.4 kept precision above 0.99 once the
# corpus's own repeated wire stories are counted as one story.
THRESHOLD = 0.4
SHINGLE = 3
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"  # datasketch 2.0's default, named because stored values must say theirs
_WORD = re.compile(r"\w+")
_UNKNOWN = object()  # a signature not computed yet
_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (id TEXT PRIMARY KEY, story TEXT NOT NULL, sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@cache
def _datasketch() -> tuple[Any, Any]:
    """Import datasketch when first needed: it pulls in scipy (about a second), which a run that
    changes nothing never uses. Returns the module and the template whose permutations every
    signature reuses."""
    import datasketch

    return datasketch, datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)


def preload() -> None:
    """Import datasketch now (before forking workers that compute signatures)."""
    _datasketch()


def shingles(text: str) -> set[bytes]:
    """Return the set of 3-word shingles of a text (case-folded words; punctuation ignored)."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def signature(text: str) -> LeanMinHash | None:
    """Return the MinHash signature of a text's shingles, or None for a text without words."""
    grams = shingles(text)
    if not grams:
        return None
    ds, template = _datasketch()
    m = ds.MinHash(num_perm=NUM_PERM, seed=SEED, permutations=template.permutations, scheme=SCHEME)
    m.update_batch(list(grams))
    return ds.LeanMinHash(m)


def similarity(a: LeanMinHash, b: LeanMinHash) -> float:
    """Return the estimated Jaccard similarity of two signatures."""
    return float(a.jaccard(b))


class StoryAssigner:
    """Signatures in memory, the LSH over them, and each document's story: the assignment rule."""

    def __init__(self) -> None:
        self.lsh = _datasketch()[0].MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.sigs: dict[str, LeanMinHash] = {}
        self.story: dict[str, str] = {}

    def add(self, doc_id: str, story: str, sig: LeanMinHash) -> None:
        """Remember a document's signature under a known story label."""
        self.lsh.insert(doc_id, sig, check_duplication=False)
        self.sigs[doc_id] = sig
        self.story[doc_id] = story

    def assign(self, doc_id: str, text: str, sig: LeanMinHash | None | object = _UNKNOWN) -> str:
        """Return the story of a new document (its most similar one's, or its own id), and remember it.

        :param sig: the text's signature when it was computed ahead (None: a text without words).
        """
        self.remove(doc_id)
        if sig is _UNKNOWN:
            sig = signature(text)
        if sig is None:
            return doc_id
        best, best_sim = None, THRESHOLD
        for other in self.lsh.query(sig):
            sim = similarity(sig, self.sigs[other])
            # Ties go to the smaller id, so the choice does not depend on the LSH's set order.
            if sim > best_sim or (sim == best_sim and (best is None or other < best)):
                best, best_sim = other, sim
        story = self.story[best] if best is not None else doc_id
        self.add(doc_id, story, sig)
        return story

    def remove(self, doc_id: str) -> None:
        """Forget a document's signature; the labels of the others stay as they are."""
        if doc_id in self.sigs:
            self.lsh.remove(doc_id)
            del self.sigs[doc_id], self.story[doc_id]


class StoryIndex:
    """The signatures of one index folder, persisted in SQLite; assigns story labels at ingest.

    Changes are kept in memory until `commit(stamp)`, which writes them in one transaction after
    the index commit they belong to.
    """

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / FILENAME
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._mem: StoryAssigner | None = None
        self._upsert: dict[str, str] = {}
        self._delete: set[str] = set()
        self._ready: dict[str, tuple[str, bytes | None]] = {}  # signatures computed ahead, by document id

    def stamp(self) -> str | None:
        """Return the stamp of the index commit the signatures describe, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
        return row[0] if row else None

    def _load(self) -> StoryAssigner:
        if self._mem is None:
            self._mem = StoryAssigner()
            for doc_id, story, blob in self._db.execute("SELECT id, story, sig FROM signatures"):
                self._mem.add(doc_id, story, _from_blob(blob))
        return self._mem

    def prepare(self, doc_id: str, text: str, blob: bytes | None) -> None:
        """Hold the signature of a text (from `to_blob`, computed in a cleaning worker) for its `assign`."""
        self._ready[doc_id] = (text, blob)

    def assign(self, doc_id: str, text: str) -> str:
        """Return the story of a new or changed document, and remember its signature."""
        mem = self._load()
        self.remove(doc_id)
        ready = self._ready.pop(doc_id, None)
        if ready is not None and ready[0] == text:
            story = mem.assign(doc_id, text, None if ready[1] is None else _from_blob(ready[1]))
        else:
            story = mem.assign(doc_id, text)
        if doc_id in mem.sigs:
            self._upsert[doc_id] = story
            self._delete.discard(doc_id)
        return story

    def remove(self, doc_id: str) -> None:
        """Forget a deleted (or changed) document's signature; other labels stay as they are."""
        self._load().remove(doc_id)
        self._upsert.pop(doc_id, None)
        self._delete.add(doc_id)

    def commit(self, stamp: str | None) -> None:
        """Write the pending changes, stamped with the index commit they follow."""
        sigs = self._load().sigs
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM signatures WHERE id = ?", ((i,) for i in self._delete))
            self._db.executemany("INSERT OR REPLACE INTO signatures (id, story, sig) VALUES (?,?,?)",
                                 ((i, s, _to_blob(sigs[i])) for i, s in self._upsert.items()))
            if stamp is not None:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('stamp', ?)", (stamp,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._upsert, self._delete = {}, set()

    def rebuild(self, docs: Iterable[tuple[str, str, str]], stamp: str) -> None:
        """Replace every signature with those of the index's documents: (id, story, text) each."""
        self._db.execute("DELETE FROM signatures")
        self._mem, self._upsert, self._delete = StoryAssigner(), {}, set()
        for doc_id, story, text in docs:
            sig = signature(text)
            if sig is not None:
                self._mem.add(doc_id, story or doc_id, sig)
                self._upsert[doc_id] = story or doc_id
        self.commit(stamp)
        logger.info("story signatures rebuilt from the index: %d documents", len(self._mem.sigs))

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def assign_stories(texts: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return the story of each (id, text), assigned in the given order, without any storage."""
    mem = StoryAssigner()
    return {doc_id: mem.assign(doc_id, text) for doc_id, text in texts}


def to_blob(sig: LeanMinHash | None) -> bytes | None:
    """Return a signature as bytes (None stays None), as stored and as sent from a worker."""
    return None if sig is None else _to_blob(sig)


def _to_blob(sig: LeanMinHash) -> bytes:
    # Hash values are below 2**32 (datasketch's max hash), so 32 bits keep them exactly.
    return np.asarray(sig.hashvalues, dtype=np.uint32).tobytes()


def _from_blob(blob: bytes) -> LeanMinHash:
    values = np.frombuffer(blob, dtype=np.uint32).astype(np.uint64)
    return _datasketch()[0].LeanMinHash(seed=SEED, hashvalues=values, scheme=SCHEME)
