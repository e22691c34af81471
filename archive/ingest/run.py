"""Ingest: walk collections, compare with the manifest, clean what changed, commit in batches.

A run adds new files, re-indexes changed ones, and deletes documents whose files are gone from a
collection being ingested (DESIGN.md §7). An unchanged file costs one `stat`: its size and
mtime_ns match the manifest. A file whose size or mtime changed is read and hashed; if its bytes
are the same it is not cleaned again. A new cleaning pipeline version re-cleans every file.
Each commit is atomic and the manifest follows it (archive/ingest/manifest.py), so a run that is killed
leaves the index at its last commit and the next run finishes the job. A file that cannot be
read is reported with its reason; it never stops the run (unless --strict), and a previously
indexed version of it stays searchable. `full=True` rebuilds into a new folder and swaps it in.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from archive.clean import PIPELINE_VERSION
from archive.config import Settings, clean_procs, story_rows, writer_limit_mb
from archive.documents import Document
from archive.engine.base import Engine, Rebuild
from archive.engine.choice import engine_exists, full_rebuild, open_engine
from archive.errors import ArchiveError, IndexDamaged
from archive.health import damage_message
from archive.ingest.interrupt import shielded
from archive.ingest.known import Known, file_keys
from archive.ingest.learnt import LearntLines, holds_any
from archive.ingest.lock import ingest_lock
from archive.ingest.manifest import Entry, Manifest
from archive.ingest.pool import Lost, ordered_map
from archive.ingest.reading import Reading, Readings, read_file
from archive.ingest.report import IngestReport
from archive.ingest.sinks import BuildSink, CommitSink, DrySink, Sink
from archive.ingest.storage import storage_errors
from archive.ingest.walk import Collection, Problem, WalkedFiles, collections_for, os_reason
from archive.related import StoryIndex, open_stories
from archive.research.runs import RunLog

logger = logging.getLogger("archive.ingest")  # the name cron's log lines have always carried
Progress = Callable[[int, int], None]
# Fewer files to clean than this are cleaned in the ingest process: forking workers would cost more.
MIN_POOL_FILES = 32



def ingest(paths: list[str], settings: Settings, *, dry_run: bool = False, full: bool = False,
           strict: bool = False, progress: Progress | None = None, report: IngestReport | None = None) -> IngestReport:
    """Ingest files and folders into the index named by the settings.

    :param strict: stop at the first file that fails (ArchiveError, exit 3); for a full rebuild
        the old index stays in place.
    :param progress: called with (files done, files in all) after each file.
    :param report: filled in as the run goes (a caller that is interrupted still reads `committed`).
    """
    report = report if report is not None else IngestReport()
    report.dry_run, report.full, report.index = dry_run, full, str(settings.index)
    collections = collections_for(paths, settings)
    with storage_errors(Path(settings.index).absolute()), ingest_lock(settings.index):
        rebuild = full_rebuild(settings)  # None: a full rebuild rewrites every document in place
        if rebuild is not None:
            rebuild.remove_stale()
        if not dry_run:
            with RunLog(settings.index) as runs:
                report.run_id = runs.begin(full)
        if not full:
            _incremental(collections, settings, report, strict, progress)
        elif rebuild is not None:
            _full(rebuild, collections, settings, report, strict, progress)
        else:
            _full_in_place(collections, settings, report, strict, progress)
        if not dry_run:  # the meaning model follows the committed index (archive/meaning/build.py)
            from archive.meaning.build import after_ingest
            report.meaning = after_ingest(settings, report.added + report.updated + report.deleted, full)
            report.record(Path(settings.index))
        if not dry_run:
            with RunLog(settings.index) as runs:  # after a full rebuild: the copy carried into the new folder
                runs.finish(report.run_id, report.added, report.updated, report.deleted)
    report.seconds = time.monotonic() - report.started
    return report


def _incremental(collections: list[Collection], settings: Settings, report: IngestReport, strict: bool,
                 progress: Progress | None, reread: bool = False) -> None:
    """Index what changed; with `reread`, read every file again (a cluster's full rebuild, in place)."""
    target = Path(settings.index)
    if report.dry_run and not engine_exists(settings):
        _Pass(settings, report, Known(), Known(), DrySink(report), strict).run(collections, progress)
        return
    engine = open_engine(settings, create=True)
    verdict = engine.verify()
    if not verdict.ok:  # an "unchanged" report over a damaged index would hide it
        engine.close()
        raise IndexDamaged(damage_message(target, verdict.damage or [], [str(c.root) for c in collections]))
    # None too when the engine keeps no stories; a run's new signatures are held as a build holds them.
    stories = None if report.dry_run else open_stories(engine, story_rows(settings))
    try:
        with Manifest(target, readonly=report.dry_run) as manifest, \
                _known_of(engine, manifest, report.dry_run) as known:
            sink = DrySink(report) if report.dry_run else CommitSink(
                engine, manifest, settings.batch_size, lambda ids: _bury(target, engine, ids, report.run_id), stories,
                on_commit=lambda n: setattr(report, "committed", report.committed + n),
                on_fail=lambda doc_id, entry, reason: _write_failed(report, doc_id, entry, reason, doc_id in known))
            run = _Pass(settings, report, Known() if reread else known, known, sink, strict, old=engine,
                        stories=stories)
            run.run(collections, progress)
            if not report.dry_run:
                _count_documents(manifest, report)
                report.record(target)
                run.learnt.save(target)
    finally:
        if stories is not None:
            stories.close()
        engine.close()


def _full(rebuild: Rebuild, collections: list[Collection], settings: Settings, report: IngestReport, strict: bool,
          progress: Progress | None) -> None:
    """Rebuild into a sibling folder, check it, then swap it in atomically (the old one stays until then)."""
    target = Path(settings.index)
    old = open_engine(settings) if engine_exists(settings) else None
    if old is not None and not (verdict := old.verify()).ok:
        logger.warning("The index at %s is damaged (%s): rebuilding it from the sources without reading it",
                       target, "; ".join(str(d) for d in verdict.damage or []))
        old.close()
        old = None
    try:
        with ExitStack() as stack:
            previous = Known()
            if old is not None:  # read through the run: a million entries are not held (archive/ingest/known.py)
                manifest = stack.enter_context(Manifest(target, readonly=report.dry_run))
                previous = stack.enter_context(_known_of(old, manifest, report.dry_run))
            if report.dry_run:
                _Pass(settings, report, Known(), previous, DrySink(report), strict).run(collections, progress)
                return
            build = rebuild.folder()
            try:
                _build(rebuild.create(build), build, collections, settings, report, strict, progress, previous, old)
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
    finally:
        if old is not None:
            old.close()
    with shielded():  # a stop signal waits for the swap: the new folder is in place, or the old one
        aside = rebuild.swap_in(build)
        report.committed = report.documents
    shutil.rmtree(aside, ignore_errors=True)
    logger.info("swapped the rebuilt index into %s", target)


def _full_in_place(collections: list[Collection], settings: Settings, report: IngestReport, strict: bool,
                   progress: Progress | None) -> None:
    """A cluster's full rebuild: read and write every file again, delete what is gone.

    A cluster cannot swap folders; every document is replaced where it is, so searches keep
    answering during the rebuild, from the old or the new version of each document.
    """
    _incremental(collections, settings, report, strict, progress, reread=True)


def _write_failed(report: IngestReport, doc_id: str, entry: Entry | None, reason: str, was_indexed: bool) -> None:
    """Report a document the engine could not write, or delete when `entry` is None (the next run retries).

    The pass counted it as done: the count is taken back.
    """
    if entry is None:
        report.deleted -= 1
        report.failed.append(Problem(f"deleted document {doc_id}", f"{reason}; the next run deletes it again"))
        return
    if was_indexed:
        report.updated -= 1
    else:
        report.added -= 1
    report.failed.append(Problem(f"{entry.collection}/{entry.relpath}", f"{reason}; the next run retries it"))


def _build(engine: Engine, build: Path, collections: list[Collection], settings: Settings, report: IngestReport,
           strict: bool, progress: Progress | None, previous: Known, old: Engine | None) -> None:
    """Write every document into the new engine at `build` (closed at the end), with its manifest and stories."""
    stories = StoryIndex(build, memory_rows=story_rows(settings))
    try:
        with Manifest(build) as manifest:
            with engine.bulk(procs=settings.full_procs, limitmb=writer_limit_mb(settings, settings.full_procs)) as add:
                sink = BuildSink(add, old, manifest, stories)
                run = _Pass(settings, report, Known(), previous, sink, strict, old=old, stories=stories)
                run.run(collections, progress)
                run.learnt.save(build)
            count = engine.count()
            if count != sink.count:
                raise ArchiveError(f"The rebuilt index holds {count} documents, not {sink.count}: "
                                   f"the old index is kept")
            sink.finish(engine.stamp())
            _count_documents(manifest, report)
            # Documents of collections this rebuild did not walk are gone from the new index.
            gone = previous.missing_from(manifest)
        stories.commit(engine.stamp())
        report.deleted = len(gone)
        if old is not None:
            _bury(Path(settings.index), old, gone, report.run_id)
        report.record(build)
    finally:
        stories.close()
        engine.close()


@contextmanager
def _known_of(engine: Engine, manifest: Manifest, dry_run: bool) -> Iterator[Known]:
    """Give what the manifest knows, rebuilt from the index first when it describes another commit
    (a dry run rebuilds a scratch copy, not the index's manifest)."""
    stamp = engine.stamp()
    if manifest.stamp() == stamp:
        yield Known(manifest)
        return
    if manifest.stamp() is not None:
        logger.warning("The manifest does not describe the index's last commit (an interrupted run?): "
                       "rebuilding it from the index")
    entries = (Entry(s.id, s.collection, s.relpath, s.size, s.mtime_ns, s.content_hash, "", s.pipeline)
               for s in engine.states().values())
    if not dry_run:
        manifest.rebuild(entries, stamp)
        yield Known(manifest)
        return
    with Manifest.scratch(entries, stamp) as scratch:
        yield Known(scratch)


class _Pass:
    """One pass over the files: decide what changed and hand documents to a sink."""

    def __init__(self, settings: Settings, report: IngestReport, known: Known, previous: Known, sink: Sink,
                 strict: bool, old: Engine | None = None, stories: StoryIndex | None = None):
        self.settings, self.report, self.sink, self.strict = settings, report, sink, strict
        self.old = old  # the index before the run: a document whose text did not change keeps its run id
        self.stories = stories  # the sink assigns stories; workers compute the signatures ahead for it
        self.known = known  # what lets a file be skipped as unchanged (nothing, when every file is read)
        self.previous = previous  # what the index held before the run (added vs updated, deletions)
        # Documents of files read again that the files no longer give (deleted at the end): the
        # documents of files not walked are found in the manifest then, not marked one by one.
        self.dropped: list[Entry] = []
        self.named: set[int] | None = None  # keys of the files visited, when two collections share a name
        # The entries of the files to read whose bytes may be unchanged, by walk number, looked up
        # before the cleaning workers start (they share no database connection with this
        # process); `visit` takes each back.
        self.shortcuts: dict[int, list[Entry]] = {}
        self.learnt = LearntLines(settings.index)
        # Files unchanged themselves that hold a line newly learnt for their folder: cleaned again.
        self.relearn: set[tuple[str, str]] = set()
        self.files = WalkedFiles([], settings, report)
        self.keys = file_keys(self.files)  # each walked file's `file_key`, in walk order
        self.sign_ahead = False  # set in the ingest process only when workers clean

    def run(self, collections: list[Collection], progress: Progress | None) -> None:
        """Visit every file, then delete documents whose files are gone, then flush."""
        self.files = files = WalkedFiles(collections, self.settings, self.report)
        self.report.files = len(files)
        if self.strict and self.report.failed:
            p = self.report.failed[0]
            raise ArchiveError(f"{p.path}: {p.reason} (--strict: the run stops at the first failure)")
        self.keys = keys = file_keys(files)
        procs = clean_procs(self.settings)
        if not len(self.known):
            # Nothing known (a first build): every file may change, none needs a stat to say so, and
            # no unchanged file can hold a line learnt now.
            todo = list(range(len(files)))
            self.learnt.learn(((c.name, p, r) for c, p, r in files), procs=procs)
        else:
            todo = [k for k, (c, p, r) in enumerate(files) if self._may_change(int(keys[k]), p)]
            changing = bytearray(len(files))  # a byte a file, not a set of a million numbers
            for k in todo:
                changing[k] = 1
            grown = self.learnt.learn(((c.name, p, r) for c, p, r in map(files.__getitem__, todo)),
                                      ((c.name, p, r) for k, (c, p, r) in enumerate(files) if not changing[k]),
                                      procs=procs)
            del changing
            if grown:
                todo = sorted(set(todo) | self._holding(grown, set(todo)))
        repeats = len({c.name for c in collections}) < len(collections)
        self.named = set() if repeats else None
        reads = self._reads(todo, repeats)
        try:
            for done, (coll, path, relpath) in enumerate(files, 1):
                self.visit(done - 1, coll, path, relpath, reads.get(done - 1))
                if progress is not None:
                    progress(done, len(files))
        finally:
            reads.close()
        whole = {c.name for c in collections if c.only is None}
        gone = {e.id: (e.collection, e.relpath) for e in self.dropped}
        gone.update((i, (c, r)) for i, c, r in self.previous.gone(whole, keys))
        self.report.deleted = len(gone)
        roots = {c.name: c.root for c in collections}
        for collection, relpath in gone.values():
            self.sink.note("delete", os.path.join(roots[collection], relpath))
        self.sink.flush(sorted(gone), final=True)

    def _holding(self, grown: dict[str, frozenset[str]], todo: set[int]) -> set[int]:
        """Return the files not already to be read that hold a line newly learnt for their folder."""
        out = set()
        for k, (coll, path, relpath) in enumerate(self.files):
            new = grown.get(self.learnt.key(coll.name, relpath))
            if new and k not in todo and holds_any(path, new):
                out.add(k)
                self.relearn.add((coll.name, relpath))
        if out:
            logger.info("%d unchanged files hold newly learnt boilerplate lines: cleaning them again", len(out))
        return out

    def _reads(self, todo: list[int], repeats: bool = True) -> Readings:
        """Return where `visit` gets each file's reading: cleaning workers for many files, else this process.

        `repeats`: a file may be named twice (two collections of one name); then it is read once,
        as `visit` does. A walk gives each file of a collection once.
        """
        procs = clean_procs(self.settings)
        if repeats:
            firsts: dict[int, int] = {}
            for k in todo:
                firsts.setdefault(int(self.keys[k]), k)
            todo = sorted(firsts.values())
        for k in todo if len(self.known) else ():
            coll, _, relpath = self.files[k]
            if (coll.name, relpath) not in self.relearn and (prevs := self.known.file(coll.name, relpath)) \
                    and all(p.pipeline == PIPELINE_VERSION for p in prevs):
                self.shortcuts[k] = prevs
        if procs <= 1 or len(todo) < MIN_POOL_FILES:
            return Readings(self._read, None)
        if self.stories is not None:
            self.sign_ahead = True
        logger.info("cleaning %d files in %d processes", len(todo), procs)
        return Readings(self._read, ordered_map(self._read, todo, procs))

    def _may_change(self, key: int, path: str) -> bool:
        """Return True unless the file's size and mtime say it is unchanged (one stat)."""
        try:
            st = os.stat(path)
        except OSError:
            return False
        return not self.known.unchanged(key, st)

    def visit(self, k: int, coll: Collection, path: str, relpath: str, read: Callable[[], Reading | Lost]) -> None:
        """Decide what file number k of the walk needs, and do it.

        A file may hold several documents (messages, archive members): its manifest entries share
        its relative path, and all of them are kept, replaced or deleted together. `read` gives the
        file's reading (`Readings.get`: a worker's, or made here).
        """
        key = int(self.keys[k])
        if self.named is not None:
            if key in self.named:  # the same file named twice
                return
            self.named.add(key)
        try:
            st = os.stat(path)
        except OSError as exc:
            return self.fail(path, os_reason(exc), self.previous.file(coll.name, relpath))
        relearnt = (coll.name, relpath) in self.relearn
        if not relearnt and self.known.unchanged(key, st):
            self.report.unchanged += 1
            return
        olds = self.previous.file(coll.name, relpath)
        if st.st_size > self.settings.max_bytes:
            return self.fail(path, f"too large ({st.st_size:,} bytes; the limit is {self.settings.max_bytes:,})", olds)
        got = read()
        # The entries the reading compared the file's bytes with (`_reads`): those a file whose
        # bytes did not change keeps, under its new size and mtime.
        prevs = self.shortcuts.pop(k, [])
        if isinstance(got, Lost):
            return self.fail(path, got.reason, olds)
        if got.trace:
            logger.error("unexpected error cleaning %s\n" + got.trace.replace("%", "%%"), path)
        if got.error and not got.raw_hash:
            return self.fail(path, got.error, olds)
        raw_hash = got.raw_hash
        if got.same:
            self.report.unchanged += 1
            self.report.rehashed += 1
            for p in prevs:
                self.sink.touch(p._replace(size=st.st_size, mtime_ns=st.st_mtime_ns))
            return
        docs = self.extracted(path, got, olds)
        if docs is None:
            return
        before = {p.id: p for p in olds}
        given = {doc.id for doc in docs}
        self.dropped += [p for p in olds if p.id not in given]
        for n, doc in enumerate(docs):
            doc.run_id = self.run_of(doc, before.get(doc.id))
            updated = doc.id in before
            self.report.updated += updated
            self.report.added += not updated
            self.sink.note("update" if updated else "add", doc.path + doc.relpath[len(relpath):])
            if self.stories is not None and got.sigs:
                self.stories.prepare(doc.id, doc.text, got.sigs[n])
            self.sink.add(doc, Entry(doc.id, coll.name, relpath, doc.size, doc.mtime_ns, doc.content_hash,
                                     raw_hash, doc.pipeline))

    def _read(self, k: int) -> Reading | Lost:
        """Read file number k of the pass (the work a cleaning worker does)."""
        coll, path, relpath = self.files[k]
        # Its bytes are compared with the manifest's entries of it when `_reads` found them.
        prevs = self.shortcuts.get(k, [])
        learnt = self.learnt.for_file(coll.name, relpath)
        return read_file(coll, path, prevs, self.settings, learnt, sign=self.sign_ahead)

    def run_of(self, doc: Document, prev: Entry | None) -> str:
        """Return the run a document belongs to: this one, unless its cleaned text is unchanged
        since `prev`, its entry before the run."""
        if prev is not None and prev.content_hash == doc.content_hash and self.old is not None:
            old = self.old.get(doc.id)
            if old is not None:
                return old.run_id
        return self.report.run_id

    def extracted(self, path: str, got: Reading, prevs: list[Entry]) -> list[Document] | None:
        """Report a file's failure or its parts' problems; return its documents (None when it failed)."""
        if got.error:
            self.fail(path, got.error, prevs)
            return None
        docs = got.docs
        for problem in got.problems:
            where = str(path) + problem.subpath
            if problem.skipped:
                self.report.skipped.append(Problem(where, problem.reason))
            elif not docs and len(got.problems) == 1:
                self.fail(path, problem.reason, prevs)
                return None
            else:
                self.report.failed.append(Problem(where, problem.reason))
        return docs

    def fail(self, path: str, reason: str, prevs: Sequence[Entry] = ()) -> None:
        """Report a failed file; its previous documents, if any, stay in the index."""
        kept = bool(prevs) and all([self.sink.keep(p) for p in prevs])
        self.report.failed.append(Problem(str(path), reason, kept_previous=kept))
        if self.strict:
            raise ArchiveError(f"{path}: {reason} (--strict: the run stops at the first failure)")


def _bury(index_dir: Path, engine: Engine, ids: list[str], run_id: str) -> None:
    """Keep tombstones of documents a run deletes (before the commit that deletes them)."""
    docs = [d for d in (engine.get(i) for i in ids) if d is not None]
    if docs:
        with RunLog(index_dir) as runs:
            runs.bury(docs, run_id)


def _count_documents(manifest: Manifest, report: IngestReport) -> None:
    report.documents, report.distinct_texts = manifest.counts()
