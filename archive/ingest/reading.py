"""What ingest does with one file whose size or mtime changed: hash it, and clean it unless its bytes are known.

`read_file` runs in a cleaning worker (archive/ingest/pool.py) or in the ingest process; its result,
a `Reading`, is plain data the ingest process turns into index changes and report entries.
`Readings` hands the pass each file's reading in walk order.
"""

from __future__ import annotations

import hashlib
import os
import re
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.clean import PIPELINE_VERSION
from archive.config import Settings
from archive.documents import Document
from archive.errors import SourceUnreadable
from archive.ingest.extract import Content, extract_documents
from archive.ingest.manifest import Entry
from archive.ingest.pool import Lost
from archive.ingest.walk import Collection, os_reason
from archive.stories import signature, to_blob

# Decoding never fails (cp1252 and Latin-1 take any byte), so garbage shows up as control and
# replacement characters: above this share the file is reported as undecodable.
MAX_GARBLED = 0.02
_GARBLED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]")  # control characters but \t and \n


@dataclass
class Reading:
    """What reading one file gave (in a cleaning worker or in the ingest process)."""

    raw_hash: str = ""
    same: bool = False  # its bytes are those the manifest knows: nothing to clean
    docs: list[Document] = field(default_factory=list)
    problems: list = field(default_factory=list)  # PartProblem of the parts that failed or were skipped
    error: str = ""  # why the file could not be read or cleaned ("" when it was)
    trace: str = ""  # the traceback of an unexpected error, logged by the ingest process
    sigs: list[bytes | None] = field(default_factory=list)  # story signatures of docs, when computed ahead


def read_file(coll: Collection, path: str, prevs: list[Entry], settings: Settings, learnt: frozenset[str],
              sign: bool = False) -> Reading:
    """Hash a file and, unless its bytes are those of `prevs`, clean it (with story signatures if `sign`)."""
    try:
        with open(path, "rb") as f:
            content = os.fstat(f.fileno()), f.read()
    except OSError as exc:
        return Reading(error=os_reason(exc))
    raw_hash = hashlib.sha1(content[1]).hexdigest()
    if prevs and all((p.raw_hash, p.pipeline) == (raw_hash, PIPELINE_VERSION) for p in prevs):
        return Reading(raw_hash, same=True)
    got = extract(coll, path, settings, learnt, content)
    got.raw_hash = raw_hash
    if sign:
        got.sigs = [to_blob(signature(doc.text)) for doc in got.docs]
    return got


def extract(coll: Collection, path: str, settings: Settings, learnt: frozenset[str],
            content: Content | None = None) -> Reading:
    """Return the cleaned documents of a file (of these bytes when given), or why it could not be read."""
    try:
        docs, problems = extract_documents(Path(path), collection=coll.name, root=coll.root,
                                           max_bytes=settings.max_bytes, ocr=settings.ocr, learnt=learnt,
                                           exclude=settings.exclude, content=content)
        for doc in docs:
            garbled = _garbled_share(doc.title + doc.text)
            if garbled > MAX_GARBLED:
                raise SourceUnreadable(f"undecodable: {garbled:.0%} of the characters are control or replacement "
                                       f"characters (read as {doc.encoding}; no known encoding fits)")
    except SourceUnreadable as exc:
        return Reading(error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        return Reading(error=f"could not be cleaned: {type(exc).__name__}: {exc}", trace=traceback.format_exc())
    return Reading(docs=docs, problems=problems)


class Readings:
    """The readings of a pass's files, in walk order: from cleaning workers, or made on demand."""

    def __init__(self, read: Callable[[int], Reading | Lost], ahead: Iterator[tuple[int, Reading | Lost]] | None):
        self.read, self.ahead = read, ahead
        self.done = ahead is None
        self.next: tuple[int, Reading | Lost] | None = None  # a reading taken from the workers, not yet wanted

    def get(self, k: int) -> Callable[[], Reading | Lost]:
        """Return how to get file k's reading (the workers' if they read it, else read it here)."""
        return lambda: self._take(k)

    def _take(self, k: int) -> Reading | Lost:
        while self.ahead is not None and not self.done:
            if self.next is None:
                self.next = next(self.ahead, None)
                if self.next is None:
                    self.done = True
                    break
            item, got = self.next
            if item > k:
                break
            self.next = None  # readings of files `visit` skipped after all (item < k) are dropped
            if item == k:
                return got
        # A file that changed between the first stat and its visit: read here.
        return self.read(k)

    def close(self) -> None:
        """Stop the workers: closing the generator that reads ahead ends its pool."""
        if isinstance(self.ahead, Generator):
            self.ahead.close()


def _garbled_share(text: str) -> float:
    """Return the share of characters that decoding could not make sense of."""
    if not text:
        return 0.0
    return len(_GARBLED.findall(text)) / len(text)
