"""Where an ingest pass sends its documents: a dry run's list, batched commits, or a full build.

Incremental runs commit every `batch_size` documents and then record the commit in the manifest,
so a run killed at any moment leaves the index and the manifest agreeing (DESIGN.md §7).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from archive.documents import Document
from archive.engine.base import Engine
from archive.errors import WriteFailed
from archive.ingest.interrupt import shielded
from archive.ingest.manifest import Entry, Manifest
from archive.related import StoryIndex

if TYPE_CHECKING:
    from archive.ingest.report import IngestReport

logger = logging.getLogger("archive.ingest")
MERGE_EVERY = 10  # commits between merges of small segments during an incremental run


class Sink:
    """Where a pass sends its documents."""

    def add(self, doc: Document, entry: Entry) -> None:
        """Index a new or changed document."""

    def touch(self, entry: Entry) -> None:
        """Record a file whose bytes did not change under a new size or mtime."""

    def keep(self, prev: Entry) -> bool:
        """Keep the indexed version of a file that failed; return True if it stays searchable."""
        return True

    def note(self, action: str, path: str) -> None:
        """Hear about one change (a dry run lists them)."""

    def flush(self, delete: list[str], final: bool = False) -> None:
        """Commit what is pending, deleting these ids too."""


class DrySink(Sink):
    def __init__(self, report: IngestReport):
        self.report = report

    def note(self, action: str, path: str) -> None:
        self.report.changes.append({"action": action, "path": path})


class CommitSink(Sink):
    """Incremental runs: commit every `batch_size` documents, then record the commit in the manifest."""

    def __init__(self, engine: Engine, manifest: Manifest, batch_size: int,
                 on_delete: Callable[[list[str]], None] | None = None, stories: StoryIndex | None = None,
                 on_fail: Callable[[str, Entry | None, str], None] | None = None,
                 on_commit: Callable[[int], None] | None = None):
        self.engine, self.manifest, self.batch_size = engine, manifest, max(1, batch_size)
        self.on_delete, self.stories, self.on_fail, self.on_commit = on_delete, stories, on_fail, on_commit
        self.docs: list[Document] = []
        self.entries: list[Entry] = []
        self.touched: list[Entry] = []
        self.commits = 0

    def add(self, doc: Document, entry: Entry) -> None:
        if self.stories is not None:
            doc.story = self.stories.assign(doc.id, doc.text)
        self.docs.append(doc)
        self.entries.append(entry)
        if len(self.docs) >= self.batch_size:
            self.flush([])

    def touch(self, entry: Entry) -> None:
        self.touched.append(entry)

    def flush(self, delete: list[str], final: bool = False) -> None:
        if self.docs or delete:
            if delete and self.on_delete is not None:
                self.on_delete(delete)
            if self.stories is not None:
                for doc_id in delete:
                    self.stories.remove(doc_id)
            # Merging small segments at every batch cost ~10 % of a BBC ingest's CPU; merging every
            # tenth commit and at the last keeps the segment count (and search speed) bounded.
            self.commits += 1
            with shielded():  # a stop signal waits: the commit and the manifest are written whole
                self._commit(delete, final)
        elif self.touched:
            self.manifest.apply(self.touched, (), None)  # same index content: the stamp stays valid
        self.docs, self.entries, self.touched = [], [], []

    def _commit(self, delete: list[str], final: bool) -> None:
        """Commit the batch and the deletions, then record the commit in the manifest."""
        entries = self.entries
        try:
            self.engine.write(self.docs, delete, merge=final or self.commits % MERGE_EVERY == 0)
        except WriteFailed as exc:  # a cluster shard down: its documents are left for the next run
            entries = [e for e in entries if e.id not in exc.failed]
            delete = [i for i in delete if i not in exc.failed]
            if self.on_fail is not None:
                written = {e.id: e for e in self.entries}
                for doc_id, reason in sorted(exc.failed.items()):
                    self.on_fail(doc_id, written.get(doc_id), reason)  # no entry: a deletion
        if self.on_commit is not None:
            self.on_commit(len(entries))
        # Only after the commit: a kill in between leaves a stale stamp, so the next run rebuilds.
        stamp = self.engine.stamp()
        self.manifest.apply(entries + self.touched, delete, stamp)
        if self.stories is not None:
            self.stories.commit(stamp)
        logger.info("committed %d documents and %d deletions", len(self.docs), len(delete))


class BuildSink(Sink):
    """Full rebuilds: every document goes to one writer on the new folder, its entry to the new manifest.

    Entries are written to the manifest a batch at a time as the documents come (without a
    stamp, which `finish` sets after the commit): a build of a million files does not hold a
    million entries. A build that fails is removed whole, its manifest with it.
    """

    BATCH = 2000

    def __init__(self, add: Callable[[Document], None], old: Engine | None, manifest: Manifest,
                 stories: StoryIndex | None = None):
        self._add, self.old, self.manifest, self.stories = add, old, manifest, stories
        self.count = 0
        self._pending: list[Entry] = []

    def add(self, doc: Document, entry: Entry) -> None:
        if self.stories is not None:
            doc.story = self.stories.assign(doc.id, doc.text)
        self._add(doc)
        self._pending.append(entry)
        self.count += 1
        if len(self._pending) >= self.BATCH:
            self._write()
        if self.count % 500 == 0:
            logger.info("%d documents indexed", self.count)

    def _write(self) -> None:
        self.manifest.apply(self._pending, (), None)
        self._pending = []

    def finish(self, stamp: str) -> None:
        """Write the entries still pending and stamp the manifest with the build's commit."""
        self._write()
        self.manifest.apply((), (), stamp)

    def keep(self, prev: Entry) -> bool:
        doc = self.old.get(prev.id) if self.old is not None else None
        if doc is None:
            return False
        self.add(doc, prev)
        return True
