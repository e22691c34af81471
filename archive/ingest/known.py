"""What the index held when an ingest run began: the manifest, read as the run needs it.

A nightly run visits every file of the archive but reads few of them. Holding every manifest
entry for that took about 0.9 GB at a million files. `Known` keeps three numbers a file instead
(24 bytes): the file's 64-bit key, its size and its mtime_ns, enough for the one-stat check
that skips an unchanged file. Whole entries are read from the manifest's SQLite file only for
the files that changed and the documents they give, and the documents whose files are gone are
found by one pass over the manifest against the keys of the files walked.

A file's key is its document id read as a number (`document_id` of its collection and relative
path: the first 64 bits of a SHA-1). Two files of one archive share a key with a chance of about
one in 3 x 10^7 at a million files; the check then sees a changed file (it reads it again), and
a file gone that shares its key with one walked stays in the index until either changes.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable

import numpy as np

from archive.clean import PIPELINE_VERSION
from archive.documents import document_id
from archive.ingest.manifest import Entry, Manifest
from archive.ingest.walk import Collection

CHUNK = 50_000  # manifest rows read at a time
_NEVER = -1  # a size no file has: the file's entries disagree, or were cleaned by another pipeline


def file_key(collection: str, relpath: str) -> int:
    """Return a file's 64-bit key: its document id (the id of a file that gives one document) as a number."""
    return int(document_id(collection, relpath), 16)


def file_keys(files: Iterable[tuple[Collection, str, str]]) -> np.ndarray:
    """Return the keys of walked files, given as (collection, path, relpath), in their order."""
    keys = array("Q", (file_key(coll.name, relpath) for coll, _, relpath in files))
    return np.frombuffer(keys, dtype=np.uint64)


class Known:
    """The manifest's files when the run began, for the unchanged check; entries read on demand.

    `manifest` None: nothing is known (a first run, a full build into an empty folder, or a run
    that reads every file again).
    """

    def __init__(self, manifest: Manifest | None = None):
        self.manifest = manifest
        keys, sizes, mtimes = array("Q"), array("q"), array("q")
        for rows in manifest.file_states(CHUNK) if manifest is not None else ():
            for collection, relpath, size, mtime_ns, pipeline in rows:
                keys.append(file_key(collection, relpath))
                sizes.append(size if pipeline == PIPELINE_VERSION else _NEVER)
                mtimes.append(mtime_ns)
        self._keys, self._sizes, self._mtimes = _by_file(np.frombuffer(keys, dtype=np.uint64),
                                                         np.frombuffer(sizes, dtype=np.int64),
                                                         np.frombuffer(mtimes, dtype=np.int64))

    def __len__(self) -> int:
        """Return the number of files known."""
        return len(self._keys)

    def _at(self, key: int) -> int:
        """Return where a file's key is in the arrays, or -1."""
        i = int(np.searchsorted(self._keys, np.uint64(key)))
        return i if i < len(self._keys) and int(self._keys[i]) == key else -1

    def unchanged(self, key: int, st: os.stat_result) -> bool:
        """Return True when the manifest has the file of this key (`file_key`) at this size and mtime,
        cleaned by the current pipeline."""
        i = self._at(key)
        return i >= 0 and int(self._sizes[i]) == st.st_size and int(self._mtimes[i]) == st.st_mtime_ns

    def file(self, collection: str, relpath: str) -> list[Entry]:
        """Return a file's entries (one a document it gave); [] for a file the manifest does not have."""
        if self.manifest is None or self._at(file_key(collection, relpath)) < 0:
            return []
        return self.manifest.file_entries(collection, relpath)

    def get(self, doc_id: str) -> Entry | None:
        """Return the entry of one document, or None."""
        return None if self.manifest is None or not len(self._keys) else self.manifest.entry(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.get(doc_id) is not None

    def gone(self, collections: Iterable[str], walked: np.ndarray) -> list[tuple[str, str, str]]:
        """Return (id, collection, relpath) of these collections' documents whose files' keys are not
        among the walked keys."""
        if self.manifest is None:
            return []
        walked = np.sort(walked)
        out: list[tuple[str, str, str]] = []
        for rows in self.manifest.files_of(collections, CHUNK):
            keys = np.fromiter((file_key(c, r) for _, c, r in rows), dtype=np.uint64, count=len(rows))
            at = np.minimum(np.searchsorted(walked, keys), max(len(walked) - 1, 0))
            missing = np.ones(len(rows), dtype=bool) if not len(walked) else walked[at] != keys
            out += [rows[i] for i in np.flatnonzero(missing).tolist()]
        return out

    def missing_from(self, other: Manifest) -> list[str]:
        """Return the ids known here that another manifest does not hold (a full build's deletions)."""
        return [] if self.manifest is None else self.manifest.missing_from(other)


def _by_file(keys: np.ndarray, sizes: np.ndarray, mtimes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return one (key, size, mtime) a file, sorted by key: a file whose entries (one a document)
    disagree gets a size no file has, so it is never taken as unchanged."""
    if not len(keys):
        return keys, sizes, mtimes
    order = np.argsort(keys, kind="stable")
    keys, sizes, mtimes = keys[order], sizes[order], mtimes[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    agree = ((np.minimum.reduceat(sizes, starts) == np.maximum.reduceat(sizes, starts))
             & (np.minimum.reduceat(mtimes, starts) == np.maximum.reduceat(mtimes, starts)))
    return keys[starts], np.where(agree, sizes[starts], _NEVER), mtimes[starts]
