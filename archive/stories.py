"""Story clusters: syndicated copies of one text (small edits, a new headline, an added paragraph).

Each document's body is cut into word shingles (3 consecutive words, case-folded); a MinHash
signature (datasketch, 128 permutations) estimates the Jaccard similarity of two shingle sets, and
an LSH index (the banding datasketch's `MinHashLSH` picks for `THRESHOLD`, kept in numpy arrays)
finds the candidates of a new document without comparing it with every other one.

A signature keeps the lowest 8 bits of each hash value ("b-bit minwise hashing", Li and König,
2010): 128 bytes a document instead of 512, in memory and in `stories.sqlite`. Two unequal values
agree in their low byte once in 256, which raises a pair's estimate by (1 - J) / 256: under 0.003,
a twentieth of the estimate's own spread at the threshold (its standard deviation at J = 0.4 is
0.043 with 128 values). The signature and its band keys take 512 bytes a document in memory;
with its id and label, tracemalloc counts under 800 (tests/test_stories.py).

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

A run that changes an index holds in memory only the signatures of its own documents. The ones
stored before it are written once, at its first change, to scratch files beside the index (the
signatures, and every band key in sorted order: `_Stored`), where each new document's candidates
are read. At a million documents writing them takes 3 to 6 s and 544 MB of disk (672 MB while
written), where loading them took 13 to 18 s, and the run's memory grows by 40 MB where loading them
added 1.7 GB. A full build bounds its memory too, moving its own signatures to a scratch SQLite
file as they come (`_Spill`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from functools import cache, reduce
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

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
PERMUTATIONS_FILE = "story_permutations.npz"  # the permutations of NUM_PERM, SEED and SCHEME
BITS = 8  # the low bits of each hash value a signature keeps
# LSH bands: BANDS bands of ROWS hash values each, the ones datasketch's MinHashLSH picks for
# THRESHOLD and NUM_PERM (its `_optimal_param` with equal weights; tests/test_stories.py checks).
# A band's ROWS values of BITS bits are 32 bits: its key holds them whole (`_band_keys`).
BANDS, ROWS = 32, 4
_MIN_ROWS = 1024
# Band keys are found in three tiers: the last few rows' keys compared one by one, then sorted
# arrays of the rows added since the last merge, then sorted arrays of all earlier rows.
_PENDING_ROWS = 64  # rows added before their band keys go into the recent sorted arrays
_RECENT_ROWS = 4096  # rows in the recent arrays before they are merged into the older ones
Signature = npt.NDArray[np.uint8]
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(rb"\w+")
_UNKNOWN = object()  # a signature not computed yet
_SCHEMA = """
CREATE TABLE IF NOT EXISTS signatures (id TEXT PRIMARY KEY, story TEXT NOT NULL, sig BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """Return the affine permutations (a, b) of datasketch's MinHash for NUM_PERM, SEED and SCHEME.

    They are package data (`PERMUTATIONS_FILE`, written once from datasketch 2.0's
    `MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations`; tests/test_stories.py
    checks them against it): importing datasketch pulls in scipy, 0.6 s of one core before an
    ingest's first signature, and every stored signature depends on these 256 numbers alone.
    """
    with np.load(io.BytesIO(resources.files("archive").joinpath(PERMUTATIONS_FILE).read_bytes())) as data:
        a, b = data["a"], data["b"]
    if a.shape != (NUM_PERM,) or b.shape != (NUM_PERM,):
        raise ValueError(f"{PERMUTATIONS_FILE} holds {a.shape[0]} and {b.shape[0]} permutations, not {NUM_PERM}")
    return a.astype(np.uint32), b.astype(np.uint32)


def shingles(text: str) -> set[bytes]:
    """Return the set of 3-word shingles of a text (case-folded words; punctuation ignored)."""
    if text.isascii():
        # The same words as the str pattern's (an ASCII word character is [a-zA-Z0-9_] to both, and
        # casefold is lower for ASCII), found as bytes: no shingle is encoded on its own.
        words = _ASCII_WORD.findall(text.lower().encode("ascii"))
    else:
        words = [w.encode() for w in _WORD.findall(text.casefold())]
    if len(words) < SHINGLE:
        return {b" ".join(words)} if words else set()
    return set(map(b" ".join, zip(*(words[i:] for i in range(SHINGLE)))))


def signature(text: str) -> Signature | None:
    """Return the MinHash signature of a text's shingles (the low BITS of NUM_PERM hash values), or
    None for a text without words."""
    grams = shingles(text)
    if not grams:
        return None
    a, b = _permutations()
    # The values of datasketch's MinHash (scheme affine32, its default hash function: the first
    # four bytes of SHA-1, little-endian), computed for all shingles at once: a MinHash object and
    # its update_batch cost about three times as much a document (tests/test_stories.py compares).
    hashed = np.frombuffer(b"".join([hashlib.sha1(g).digest()[:4] for g in grams]), dtype="<u4")
    mixed = _fmix32(hashed.astype(np.uint32))
    return _low_bits((mixed[:, None] * a + b).min(axis=0))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, which datasketch's affine schemes apply before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _low_bits(values: npt.ArrayLike) -> Signature:
    return (np.asarray(values, dtype=np.uint64) & np.uint64((1 << BITS) - 1)).astype(np.uint8)


def similarity(a: Signature, b: Signature) -> float:
    """Return the estimated Jaccard similarity of two signatures: the share of equal hash values."""
    return float(np.count_nonzero(a == b)) / float(NUM_PERM)


# Where else to look for a signature's closest document: (signature, band keys, best so far,
# its similarity) -> (the better document, its story or None when the best so far stayed, similarity).
Elsewhere = Callable[[Signature, np.ndarray, str | None, float], tuple[str | None, str | None, float]]


class StoryAssigner:
    """Signatures in memory, the LSH over them, and each document's story: the assignment rule.

    The candidates of a new document are the documents that share all ROWS values of at least
    one of the BANDS bands with it (datasketch's MinHashLSH with the same bands finds the same
    set). Memory stays small per document: the signatures are rows of one uint8 array, and each
    band is found through sorted arrays of 64-bit band keys with the row each came from: one for
    the earlier rows, a smaller one for the rows added since they were last merged into it, and a
    small array of the last rows' keys compared one by one. A key is the band's number
    and its four bytes, so equal keys are equal bands. Removed rows are marked dead and dropped
    when they outnumber the live ones.
    """

    def __init__(self) -> None:
        self._sigs = np.zeros((_MIN_ROWS, NUM_PERM), dtype=np.uint8)
        self._docs: list[str | None] = []  # document id of each row (None: removed)
        self._rows: dict[str, int] = {}
        self._dead = 0
        self._merged = _KeyRows()  # the band keys of the earlier rows
        self._recent = _KeyRows()  # the band keys of up to _RECENT_ROWS later rows
        # Band keys of the last rows (the ones added since the last move into `_recent`), one line each.
        self._pending = np.zeros((_PENDING_ROWS, BANDS), dtype=np.uint64)
        self._pending_rows = 0
        self.story: dict[str, str] = {}

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def values(self, doc_id: str) -> Signature:
        """Return the signature of a remembered document."""
        return self._sigs[self._rows[doc_id]]

    def add(self, doc_id: str, story: str, sig: Signature, keys: np.ndarray | None = None) -> None:
        """Remember a document's signature under a known story label.

        :param keys: the signature's band keys when they were computed ahead.
        """
        row = self._append(doc_id, story, sig)
        self._pending[self._pending_rows] = _band_keys(self._sigs[row:row + 1])[0] if keys is None else keys
        self._pending_rows += 1
        if self._pending_rows == len(self._pending):
            self._move_pending()

    def load(self, items: Iterable[tuple[str, str, Signature]]) -> None:
        """Remember many (id, story, signature) at once: the band keys are sorted once at the end."""
        for doc_id, story, sig in items:
            self._append(doc_id, story, sig)
        self._compact()

    def _append(self, doc_id: str, story: str, sig: Signature) -> int:
        """Store a signature in a new row (without its band keys) and return the row."""
        self.remove(doc_id)
        row = len(self._docs)
        if row == len(self._sigs):
            grown = np.zeros((row + max(row // 2, _MIN_ROWS), NUM_PERM), dtype=np.uint8)
            grown[:row] = self._sigs
            self._sigs = grown
        self._sigs[row] = sig
        self._docs.append(doc_id)
        self._rows[doc_id] = row
        self.story[doc_id] = story
        return row

    def assign(self, doc_id: str, text: str, sig: Signature | None | object = _UNKNOWN,
               elsewhere: Elsewhere | None = None) -> str:
        """Return the story of a new document (its most similar one's, or its own id), and remember it.

        :param sig: the text's signature when it was computed ahead (None: a text without words).
        :param elsewhere: also looks among signatures kept outside this assigner (a build's
            scratch file): given the signature, its band keys, the best match here and its
            similarity, it returns the better of that and its own best, with its story (None: its
            own best was not better).
        """
        self.remove(doc_id)
        if sig is _UNKNOWN:
            sig = signature(text)
        if not isinstance(sig, np.ndarray):
            return doc_id
        keys = _band_keys(sig[None, :])[0]
        best, sim = self.closest(sig, keys)
        story = self.story[best] if best is not None else doc_id
        if elsewhere is not None:
            best, moved, sim = elsewhere(sig, keys, best, sim)
            story = moved if moved is not None else story
        self.add(doc_id, story, sig, keys)
        return story

    def closest(self, sig: Signature, keys: np.ndarray, best: str | None = None,
                best_sim: float = THRESHOLD) -> tuple[str | None, float]:
        """Return the remembered document most similar to a signature (of these band keys) and
        its similarity, if it beats `best` at `best_sim` (ties go to the smaller id)."""
        rows = self._candidates(keys)
        if not len(rows):
            return best, best_sim
        # The most similar candidate, on a tie the smallest id: the one `_closer` keeps of them all.
        counts = np.count_nonzero(self._sigs[rows] == sig, axis=1)
        top = int(counts.max())
        ids = [self._docs[row] for row in rows[counts == top].tolist()]
        assert None not in ids  # candidates are live rows
        return _closer(min(ids), float(top) / float(NUM_PERM), best, best_sim)

    def remove(self, doc_id: str) -> None:
        """Forget a document's signature; the labels of the others stay as they are."""
        row = self._rows.pop(doc_id, None)
        if row is None:
            return
        del self.story[doc_id]
        self._docs[row] = None
        self._dead += 1
        if self._dead >= _MIN_ROWS and self._dead > len(self._rows):
            self._compact()

    def _candidates(self, keys: np.ndarray) -> np.ndarray:
        """Return the live rows that share at least one whole band with a signature (of these band keys)."""
        first = len(self._docs) - self._pending_rows
        pending = np.flatnonzero((self._pending[:self._pending_rows] == keys).any(axis=1)) + first
        rows = np.unique(np.concatenate((self._merged.rows_of(keys), self._recent.rows_of(keys), pending)))
        if not self._dead:
            return rows
        docs = self._docs
        return rows[[docs[row] is not None for row in rows.tolist()]]

    def _move_pending(self) -> None:
        """Move the pending band keys into the recent sorted arrays, and those into the older ones
        when they hold _RECENT_ROWS rows."""
        keys = self._pending[:self._pending_rows].ravel()
        rows = np.arange(len(self._docs) - self._pending_rows, len(self._docs), dtype=np.int32).repeat(BANDS)
        self._recent.insert(keys, rows)
        self._pending_rows = 0
        if len(self._recent) >= _RECENT_ROWS * BANDS:
            self._merged.insert(self._recent.keys, self._recent.rows)
            self._recent = _KeyRows()

    def _compact(self) -> None:
        """Drop the rows of removed documents and rebuild the band keys of the others."""
        live = [row for row, doc in enumerate(self._docs) if doc is not None]
        sigs = self._sigs[live]
        self._sigs = np.zeros((max(len(live), _MIN_ROWS), NUM_PERM), dtype=np.uint8)
        self._sigs[:len(live)] = sigs
        self._docs = [self._docs[row] for row in live]
        self._rows = {doc: row for row, doc in enumerate(self._docs) if doc is not None}
        self._dead = 0
        self._merged = _KeyRows()
        self._merged.insert(_band_keys(sigs).ravel(), np.arange(len(live), dtype=np.int32).repeat(BANDS))
        self._recent = _KeyRows()
        self._pending_rows = 0


class _KeyRows:
    """Band keys in sorted order, with the row each came from."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)
        self.rows = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.keys)

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Add keys (in any order) and their rows."""
        order = np.argsort(keys, kind="stable")
        at = np.searchsorted(self.keys, keys[order])
        self.keys = np.insert(self.keys, at, keys[order])
        self.rows = np.insert(self.rows, at, rows[order])

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """Return the rows of every key equal to one of `keys` (a row once for each key it has)."""
        if not len(self.keys):
            return _NO_ROWS
        lo = self.keys.searchsorted(keys)
        found = self.keys.take(lo, mode="clip") == keys  # past the end, the last key is smaller
        if not found.any():
            return _NO_ROWS
        lo = lo[found]
        counts = self.keys.searchsorted(keys[found], "right") - lo
        # Each found key's stretch of rows, end to end: its first index, then one more per row.
        ends = np.cumsum(counts)
        return self.rows[np.repeat(lo - ends + counts, counts) + np.arange(int(ends[-1]))]


_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_ROWS.flags.writeable = False


def _closer(other: str, sim: float, best: str | None, best_sim: float) -> tuple[str | None, float]:
    """Return the better of a candidate and the best so far: the more similar, on a tie the smaller
    id, so the choice does not depend on the candidates' order."""
    if sim > best_sim or (sim == best_sim and (best is None or other < best)):
        return other, sim
    return best, best_sim


def _best_of(found: Iterable[tuple[str, str, Signature]], sig: Signature, best: str | None,
             best_sim: float) -> tuple[str | None, str | None, float]:
    """Return the best of these (id, story, signature) candidates and the best so far (`_closer`),
    with the candidate's story (None: the best so far stayed) and its similarity to `sig`."""
    story = None
    for other, other_story, values in found:
        closer, best_sim = _closer(other, similarity(values, sig), best, best_sim)
        if closer != best:
            best, story = closer, other_story
    return best, story, best_sim


def _band_keys(sigs: np.ndarray, band: int | None = None) -> np.ndarray:
    """Return a 64-bit key for each band of each signature (rows, BANDS), or for one band (rows):
    the band's number above its ROWS bytes, so that equal values in different bands do not meet."""
    if band is not None:
        values = np.ascontiguousarray(sigs[:, band * ROWS:(band + 1) * ROWS]).view(">u4")[:, 0].astype(np.uint64)
        return values | _BAND_NUMBERS[band]
    bands = np.ascontiguousarray(sigs[:, :BANDS * ROWS]).view(">u4").astype(np.uint64)
    return bands | _BAND_NUMBERS


_BAND_NUMBERS = np.arange(BANDS, dtype=np.uint64) << np.uint64(8 * ROWS)


class _Spill:
    """Signatures moved out of memory during one run: a scratch SQLite file beside the index.

    A row keeps a document's id, story and signature under a running number; its BANDS band keys
    point at that number in a table ordered by key, so a signature's candidates are one query
    away. The file is deleted when the run ends: what lasts is the `signatures` table, written at
    each commit. A document removed after it was moved here is marked dead (by id, up to the
    number it had then), not looked for.
    """

    NAME = "stories-spill.sqlite"

    def __init__(self, folder: Path):
        self.path = folder / self.NAME
        self.path.unlink(missing_ok=True)  # a run killed outright leaves its scratch file
        self._db = sqlite3.connect(self.path, isolation_level=None)
        # Scratch data: nothing to recover after a crash, and its pages come from the OS's cache.
        self._db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
            PRAGMA cache_size = -8192;
            CREATE TABLE docs (n INTEGER PRIMARY KEY, id TEXT NOT NULL, story TEXT NOT NULL, sig BLOB NOT NULL);
            CREATE INDEX docs_id ON docs (id);
            CREATE TABLE bands (key INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, n)) WITHOUT ROWID;
        """)
        self.rows = 0  # numbers given so far: rows 1..rows exist
        self._dead: dict[str, int] = {}  # id -> the last number it had when it was removed

    def add(self, items: list[tuple[str, str, Signature]]) -> None:
        """Move these (id, story, signature) here, in one transaction."""
        first = self.rows + 1
        sigs = np.stack([sig for _, _, sig in items])
        numbers = np.arange(first, first + len(items))
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO docs (n, id, story, sig) VALUES (?,?,?,?)",
                             ((first + k, i, story, _to_blob(sig)) for k, (i, story, sig) in enumerate(items)))
        # A band at a time, each in key order (a band's keys all sort before the next band's), so
        # each insert lands beside the last one, and only one band's keys are Python numbers at
        # once: all of them took 300 MB for a moment.
        for band in range(BANDS):
            keys = _band_keys(sigs, band)
            order = np.argsort(keys, kind="stable")
            self._db.executemany("INSERT INTO bands (key, n) VALUES (?,?)",
                                 zip(keys[order].tolist(), numbers[order].tolist()))
        self._db.execute("COMMIT")
        self.rows += len(items)

    def remove(self, doc_id: str) -> None:
        """Mark every row of a document moved here so far as dead.

        Only a document that has rows here is marked: every new document of a build is removed
        before it is added, and marking each of them held a mark per document for the whole run.
        """
        if self.rows and self._db.execute("SELECT 1 FROM docs WHERE id = ? LIMIT 1", (doc_id,)).fetchone():
            self._dead[doc_id] = self.rows

    def closest(self, sig: Signature, keys: np.ndarray, best: str | None,
                best_sim: float) -> tuple[str | None, str | None, float]:
        """Return the live document here most similar to a signature (of these band keys) if it beats
        `best` at `best_sim`, with its story and similarity."""
        if not self.rows:
            return best, None, best_sim
        found = self._db.execute(
            f"SELECT n, id, story, sig FROM docs WHERE n IN (SELECT n FROM bands WHERE key IN ({_MARKS}))",
            keys.tolist()).fetchall()
        live = ((other, other_story, np.frombuffer(blob, dtype=np.uint8)) for n, other, other_story, blob in found
                if n > self._dead.get(other, 0))
        return _best_of(live, sig, best, best_sim)

    def rows_after(self, done: int) -> Iterable[tuple[str, str, bytes]]:
        """Yield the live (id, story, signature blob) of the rows numbered after `done`."""
        for n, doc_id, story, blob in self._db.execute("SELECT n, id, story, sig FROM docs WHERE n > ? ORDER BY n",
                                                       (done,)):
            if n > self._dead.get(doc_id, 0):
                yield doc_id, story, blob

    def close(self) -> None:
        self._db.close()
        self.path.unlink(missing_ok=True)


_MARKS = ",".join("?" * BANDS)


class _Stored:
    """The signatures stored before this run, read from scratch files instead of held in memory.

    An incremental run at a million documents held every stored signature in a `StoryAssigner`
    (about 560 MB: signatures, band keys, rows, ids and stories), and loading them into a
    `_Spill` meant 32 million band rows in SQLite (about 40 s). Here one pass over the
    `signatures` table writes, into a scratch folder beside the index:

    - `records`: each document's signature, id and story (fixed width, one read a candidate);
    - `keys` and `rows`: every band key (`_band_keys`: the band's number above its four bytes)
      in sorted order, with the row each came from; the bands are sorted one at a time (about
      20 bytes a document for a moment: 20 MB at a million) and written one after another,
      which is one sorted array since the band's number is the high part of its key.

    Memory then holds one key of every block of `_BLOCK` keys (about 0.5 MB at a million
    documents): a band key's candidates are one block read away. The files are read with
    `os.pread`, not mapped: a mapped page of the page cache counts as the process's memory once
    touched, and touching a few thousand scattered keys mapped the whole key file (over 500 MB).

    Removals during the run are kept as a set of ids (only of documents stored here); a
    document changed during the run is removed here and held in memory again. The scratch
    folder is deleted at `close`; one left by a killed run is deleted when the next one builds.
    """

    NAME = "stories-stored"
    _CHUNK = 16384  # rows read from the signatures table at a time
    _BLOCK = 512  # keys per 4 KB block: the in-memory fence holds the first key of each

    def __init__(self, folder: Path, db: sqlite3.Connection, count: int, width: int):
        self.folder, self._db, self.count = folder, db, count
        self._record = np.dtype([("sig", np.uint8, (NUM_PERM,)), ("id", f"S{width}"), ("story", f"S{width}")])
        self._removed: set[str] = set()
        self._fence = np.zeros(0, dtype=np.uint64)
        self._files: dict[str, int] = {}

    @classmethod
    def build(cls, folder: Path, db: sqlite3.Connection) -> _Stored | None:
        """Write the scratch files of the signatures table (None when it is empty: nothing to write)."""
        scratch = folder / cls.NAME
        shutil.rmtree(scratch, ignore_errors=True)  # a run killed outright leaves its scratch folder
        count, width = db.execute("SELECT count(*), max(max(length(CAST(id AS BLOB))), "
                                  "max(length(CAST(story AS BLOB)))) FROM signatures").fetchone()
        if not count:
            return None
        scratch.mkdir()
        stored = cls(scratch, db, count, width)
        stored._write_records()
        stored._sort_bands()
        stored._files = {name: os.open(scratch / name, os.O_RDONLY) for name in ("records", "keys", "rows")}
        return stored

    def _write_records(self) -> None:
        """One pass over the table: the records in table order, and each band's values (the low
        32 bits of its keys) band-major in `values`, a band's `count` values after another's."""
        rows = self._db.execute("SELECT id, story, sig FROM signatures")
        done = 0
        with open(self.folder / "records", "wb") as records, open(self.folder / "values", "wb") as values:
            while chunk := rows.fetchmany(self._CHUNK):
                batch = np.zeros(len(chunk), dtype=self._record)
                batch["id"] = [doc_id.encode() for doc_id, _, _ in chunk]
                batch["story"] = [story.encode() for _, story, _ in chunk]
                batch["sig"] = _sig_rows([blob for _, _, blob in chunk])
                records.write(batch.tobytes())
                low = (_band_keys(batch["sig"]) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
                for band in range(BANDS):
                    values.seek(4 * (band * self.count + done))
                    values.write(np.ascontiguousarray(low[:, band]).tobytes())
                done += len(chunk)

    def _sort_bands(self) -> None:
        """Write `keys` and `rows` a band at a time from `values` (then deleted), and keep the fence."""
        n = self.count
        fence = []
        with open(self.folder / "keys", "wb") as keys, open(self.folder / "rows", "wb") as rows:
            for band in range(BANDS):
                # A band's values above their row numbers: sorting orders the keys, rows ascending
                # among equal keys (the order of a stable sort).
                packed = np.fromfile(self.folder / "values", dtype=np.uint32, count=n, offset=4 * band * n)
                packed = packed.astype(np.uint64) << np.uint64(32)
                packed |= np.arange(n, dtype=np.uint64)
                packed.sort()
                rows.write((packed & np.uint64(0xFFFFFFFF)).astype(np.int32).tobytes())
                packed >>= np.uint64(32)
                packed |= _BAND_NUMBERS[band]
                keys.write(packed.tobytes())
                fence.append(packed[(-band * n) % self._BLOCK::self._BLOCK].copy())  # every _BLOCK-th key overall
        (self.folder / "values").unlink()
        self._fence = np.concatenate(fence)

    def remove(self, doc_id: str) -> None:
        """Leave a document out of later lookups, if it is stored (every new document of a run is
        removed before it is added: marking those held a mark for each)."""
        if doc_id not in self._removed and self._db.execute(
                "SELECT 1 FROM signatures WHERE id = ?", (doc_id,)).fetchone():
            self._removed.add(doc_id)

    def closest(self, sig: Signature, keys: np.ndarray, best: str | None,
                best_sim: float) -> tuple[str | None, str | None, float]:
        """Return the stored document most similar to a signature (of these band keys) if it beats
        `best` at `best_sim`, with its story and similarity (`_Spill.closest`'s answer)."""
        records = self._records(self._candidates(keys))
        # Only a candidate at least as similar as the best so far can take its place (`_closer`):
        # the ids of the others are not read.
        near = records[np.count_nonzero(records["sig"] == sig, axis=1) / float(NUM_PERM) >= best_sim]
        found = ((record["id"].decode(), record["story"].decode(), record["sig"]) for record in near)
        live = ((other, story or other, values) for other, story, values in found if other not in self._removed)
        return _best_of(live, sig, best, best_sim)

    def _candidates(self, keys: np.ndarray) -> list[int]:
        """Return the rows that share at least one whole band with a signature (of these band keys).

        The fence gives the blocks a key's equal keys lie in: from the block before the first
        fence key not below it to the block ending at the first fence key above it.
        """
        total = BANDS * self.count
        first = np.maximum(np.searchsorted(self._fence, keys, "left") - 1, 0) * self._BLOCK
        last = np.minimum(np.searchsorted(self._fence, keys, "right") * self._BLOCK, total)
        rows: set[int] = set()
        for key, start, end in zip(keys.tolist(), first.tolist(), last.tolist()):
            if end <= start:
                continue
            block = np.frombuffer(os.pread(self._files["keys"], 8 * (end - start), 8 * start), dtype=np.uint64)
            lo = int(np.searchsorted(block, key, "left"))
            if lo == len(block) or block[lo] != key:  # most bands: no stored document shares it
                continue
            hi = int(np.searchsorted(block, key, "right"))
            found = os.pread(self._files["rows"], 4 * (hi - lo), 4 * (start + lo))
            rows.update(np.frombuffer(found, dtype=np.int32).tolist())
        return sorted(rows)

    def _records(self, rows: list[int]) -> np.ndarray:
        """Return the records (signature, id, story: '' for the document's own id) of these rows."""
        size = self._record.itemsize
        return np.frombuffer(b"".join(os.pread(self._files["records"], size, size * row) for row in rows),
                             dtype=self._record)

    def close(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        shutil.rmtree(self.folder, ignore_errors=True)


def _sig_rows(blobs: list[bytes]) -> np.ndarray:
    """Return stored signature blobs as rows of one array (`_from_blob` for blobs of another size)."""
    joined = b"".join(blobs)
    if len(joined) == NUM_PERM * len(blobs):  # every blob is one signature of NUM_PERM bytes
        return np.frombuffer(joined, dtype=np.uint8).reshape(len(blobs), NUM_PERM)
    return np.stack([_from_blob(blob) for blob in blobs])


class StoryIndex:
    """The signatures of one index folder, persisted in SQLite; assigns story labels at ingest.

    Changes are kept in memory until `commit(stamp)`, which writes them in one transaction after
    the index commit they belong to.

    With `memory_rows` (a full build), the signatures held in memory are bounded: when they reach
    that many, they move to a scratch file (`_Spill`) where later documents still find them, and
    the commit copies them from there. The signatures stored before the run are not loaded into
    memory either: the first `assign` or `remove` writes them to scratch files (`_Stored`) where
    they are looked up, and memory holds only the signatures of this run's documents. A
    document's story is the same either way.
    """

    def __init__(self, index_dir: Path, memory_rows: int | None = None):
        self.path = Path(index_dir) / FILENAME
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._mem: StoryAssigner | None = None  # this run's signatures (None: no change made yet)
        self._stored: _Stored | None = None  # the signatures stored before the run (None: there are none)
        self.memory_rows = memory_rows
        self._spill: _Spill | None = None
        self._spill_written = 0  # the scratch rows the signatures table holds already
        self._upsert: dict[str, str] = {}
        self._delete: set[str] = set()
        self._ready: dict[str, tuple[str, bytes | None]] = {}  # signatures computed ahead, by document id

    def stamp(self) -> str | None:
        """Return the stamp of the index commit the signatures describe, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
        return row[0] if row else None

    def _load(self) -> StoryAssigner:
        """Return the assigner of this run's signatures; at the first change, write the stored ones
        to the scratch files they are looked up in."""
        if self._mem is None:
            self._mem = StoryAssigner()
            started = time.perf_counter()
            self._stored = _Stored.build(self.path.parent, self._db)
            if self._stored is not None:
                logger.debug("%d stored story signatures written to %s in %.1f s", self._stored.count,
                             self._stored.folder, time.perf_counter() - started)
        return self._mem

    def _elsewhere(self) -> Elsewhere | None:
        """Return where signatures outside memory are looked up: the stored ones, the moved ones, both."""
        hooks: list[Elsewhere] = [place.closest for place in (self._stored, self._spill) if place is not None]
        return reduce(_both, hooks) if hooks else None

    def prepare(self, doc_id: str, text: str, blob: bytes | None) -> None:
        """Hold the signature of a text (from `to_blob`, computed in a cleaning worker) for its `assign`."""
        self._ready[doc_id] = (text, blob)

    def assign(self, doc_id: str, text: str) -> str:
        """Return the story of a new or changed document, and remember its signature."""
        mem = self._load()
        self.remove(doc_id)
        ready = self._ready.pop(doc_id, None)
        sig = (None if ready[1] is None else _from_blob(ready[1])) if ready is not None and ready[0] == text \
            else signature(text)
        story = mem.assign(doc_id, text, sig, self._elsewhere())
        if sig is None:
            return story
        self._upsert[doc_id] = story
        self._delete.discard(doc_id)
        if self.memory_rows is not None and len(mem) >= self.memory_rows:
            self._move_out(mem)
        return story

    def _move_out(self, mem: StoryAssigner) -> None:
        """Move every signature held in memory to the scratch file."""
        if self._spill is None:
            self._spill = _Spill(self.path.parent)
        self._spill.add([(doc_id, story, mem.values(doc_id)) for doc_id, story in mem.story.items()])
        for doc_id in mem.story:
            self._upsert.pop(doc_id, None)  # the commit copies it from the scratch file
        logger.debug("%d story signatures moved to %s", len(mem), self._spill.path)
        self._mem = StoryAssigner()

    def remove(self, doc_id: str) -> None:
        """Forget a deleted (or changed) document's signature; other labels stay as they are."""
        self._load().remove(doc_id)
        if self._stored is not None:
            self._stored.remove(doc_id)
        if self._spill is not None:
            self._spill.remove(doc_id)
        self._upsert.pop(doc_id, None)
        self._delete.add(doc_id)

    def commit(self, stamp: str | None) -> None:
        """Write the pending changes, stamped with the index commit they follow."""
        mem = self._mem if self._mem is not None else StoryAssigner()  # None: no document changed
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM signatures WHERE id = ?", ((i,) for i in self._delete))
            self._db.executemany("INSERT OR REPLACE INTO signatures (id, story, sig) VALUES (?,?,?)",
                                 ((i, "" if s == i else s, _to_blob(mem.values(i))) for i, s in self._upsert.items()))
            if self._spill is not None:
                self._db.executemany("INSERT OR REPLACE INTO signatures (id, story, sig) VALUES (?,?,?)",
                                     ((i, "" if s == i else s, blob)
                                      for i, s, blob in self._spill.rows_after(self._spill_written)))
            if stamp is not None:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('stamp', ?)", (stamp,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._upsert, self._delete = {}, set()
        if self._spill is not None:
            self._spill_written = self._spill.rows

    def rebuild(self, docs: Iterable[tuple[str, str, str]], stamp: str) -> None:
        """Replace every signature with those of the index's documents: (id, story, text) each."""
        self._db.execute("DELETE FROM signatures")
        self._mem, self._upsert, self._delete = StoryAssigner(), {}, set()
        if self._stored is not None:
            self._stored.close()
            self._stored = None
        for doc_id, story, text in docs:
            sig = signature(text)
            if sig is not None:
                self._mem.add(doc_id, story or doc_id, sig)
                self._upsert[doc_id] = story or doc_id
        self.commit(stamp)
        logger.info("story signatures rebuilt from the index: %d documents", len(self._mem))

    def close(self) -> None:
        """Close the database (and delete the scratch files)."""
        self._db.close()
        if self._spill is not None:
            self._spill.close()
        if self._stored is not None:
            self._stored.close()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _both(first: Elsewhere, second: Elsewhere) -> Elsewhere:
    """Return a lookup in two places: the best of both (`_closer` decides the same in any order)."""
    def closest(sig: Signature, keys: np.ndarray, best: str | None,
                best_sim: float) -> tuple[str | None, str | None, float]:
        best, story, best_sim = first(sig, keys, best, best_sim)
        best, other, best_sim = second(sig, keys, best, best_sim)
        return best, other if other is not None else story, best_sim
    return closest


def assign_stories(texts: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return the story of each (id, text), assigned in the given order, without any storage."""
    mem = StoryAssigner()
    return {doc_id: mem.assign(doc_id, text) for doc_id, text in texts}


def to_blob(sig: Signature | None) -> bytes | None:
    """Return a signature as bytes (None stays None), as stored and as sent from a worker."""
    return None if sig is None else _to_blob(sig)


def _to_blob(sig: Signature) -> bytes:
    return np.asarray(sig, dtype=np.uint8).tobytes()


def _from_blob(blob: bytes) -> Signature:
    """Return a stored signature; one stored whole (32-bit values, before BITS) keeps its low bits."""
    if len(blob) == 4 * NUM_PERM:
        return _low_bits(np.frombuffer(blob, dtype=np.uint32))
    return np.frombuffer(blob, dtype=np.uint8)
