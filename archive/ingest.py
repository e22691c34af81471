"""Ingest: walk collections, compare with what the index holds, clean what changed, commit in batches.

A run adds new files, re-indexes changed ones (size or mtime differ, or the cleaning pipeline
changed), and deletes documents whose files are gone from a collection being ingested. Each
commit is atomic, so an interrupted run leaves the index at its last commit and the next run
finishes the job. A file that cannot be read is reported with its reason; it never stops the run,
and a previously indexed version of it stays searchable.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.clean import PIPELINE_VERSION
from archive.config import Settings
from archive.documents import Document, document_id
from archive.engine import FileState, WhooshEngine
from archive.errors import ArchiveError, SourceUnreadable
from archive.extract import SUPPORTED_SUFFIXES, extract_file
from archive.lock import ingest_lock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Collection:
    """A named folder of source documents."""

    name: str
    root: Path
    only: Path | None = None  # a single file of the folder, when a file was named


@dataclass
class Problem:
    """A file that was skipped or failed, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    index: str = ""

    @property
    def exit_code(self) -> int:
        """0 when every file was indexed, 1 when some failed (DESIGN.md §8)."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        """Return the report as plain data (for --json)."""
        d = asdict(self)
        d["exit_code"] = self.exit_code
        return d

    def summary(self) -> str:
        """Return the one-paragraph summary printed on stderr."""
        verb = "would be " if self.dry_run else ""
        lines = [f"{self.added} {verb}added, {self.updated} {verb}updated, {self.deleted} {verb}deleted, "
                 f"{self.unchanged} unchanged, {len(self.skipped)} skipped, {len(self.failed)} failed "
                 f"in {self.seconds:.1f} s"]
        lines += [f"  failed: {p.path}: {p.reason}" for p in self.failed]
        lines += [f"  skipped: {p.path}: {p.reason}" for p in self.skipped]
        return "\n".join(lines)


def collections_for(paths: list[str], settings: Settings) -> list[Collection]:
    """Return the collections to ingest: the named paths, or the configured collections."""
    if not paths:
        if not settings.collections:
            raise ArchiveError("Nothing to ingest: name files or folders, or configure [collections]")
        return [Collection(name, Path(folder).resolve()) for name, folder in settings.collections.items()]
    out = []
    configured = {Path(f).resolve(): name for name, f in settings.collections.items()}
    for p in paths:
        path = Path(p).resolve()
        if not path.exists():
            raise ArchiveError(f"No such file or folder: {p}")
        if path.is_dir():
            out.append(Collection(configured.get(path, path.name), path))
        else:
            out.append(Collection(configured.get(path.parent, path.parent.name), path.parent, only=path))
    return out


def ingest(paths: list[str], settings: Settings, *, dry_run: bool = False) -> IngestReport:
    """Ingest files and folders into the index named by the settings."""
    start = time.monotonic()
    report = IngestReport(dry_run=dry_run, index=str(settings.index))
    collections = collections_for(paths, settings)
    with ingest_lock(settings.index):
        if WhooshEngine.exists(settings.index):
            engine = WhooshEngine(settings.index)
        elif dry_run:
            engine = None
        else:
            engine = WhooshEngine.create(settings.index)
        try:
            _run(engine, collections, settings, report)
        finally:
            if engine is not None:
                engine.close()
    report.seconds = time.monotonic() - start
    if not dry_run:
        _record(settings.index, report)
    return report


def _record(index_dir: Path, report: IngestReport) -> None:
    """Keep the last run's summary beside the index, for `archive stats`."""
    summary = report.to_dict()
    summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    summary["failed"] = len(report.failed)
    summary["skipped"] = len(report.skipped)
    (Path(index_dir) / "last-ingest.json").write_text(json.dumps(summary, indent=1))


def _run(engine: WhooshEngine | None, collections: list[Collection], settings: Settings, report: IngestReport) -> None:
    states = engine.states() if engine is not None else {}
    seen: set[str] = set()
    batch: list[Document] = []
    for coll in collections:
        for path in walk(coll, settings, report):
            relpath = path.relative_to(coll.root).as_posix()
            doc_id = document_id(coll.name, relpath)
            seen.add(doc_id)
            doc = _changed(path, coll, relpath, states.get(doc_id), settings, report)
            if doc is None:
                continue
            if states.get(doc_id):
                report.updated += 1
            else:
                report.added += 1
            batch.append(doc)
            if len(batch) >= settings.batch_size:
                _commit(engine, batch, [], report)
                batch = []
    gone = _gone(states, collections, seen)
    report.deleted = len(gone)
    _commit(engine, batch, gone, report)


def _changed(path: Path, coll: Collection, relpath: str, prev: FileState | None, settings: Settings,
             report: IngestReport) -> Document | None:
    """Return the cleaned document when the file is new or changed; None when unchanged or failed."""
    try:
        st = path.stat()
    except OSError as exc:
        report.failed.append(Problem(str(path), f"vanished or unreadable: {exc.strerror or exc}"))
        return None
    if prev and prev.size == st.st_size and prev.mtime_ns == st.st_mtime_ns and prev.pipeline == PIPELINE_VERSION:
        report.unchanged += 1
        return None
    try:
        return extract_file(path, collection=coll.name, root=coll.root, max_bytes=settings.max_bytes)
    except SourceUnreadable as exc:
        report.failed.append(Problem(str(path), str(exc)))
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
        logger.exception("unexpected error cleaning %s", path)
        report.failed.append(Problem(str(path), f"could not be cleaned: {type(exc).__name__}: {exc}"))
    return None


def _gone(states: dict[str, FileState], collections: list[Collection], seen: set[str]) -> list[str]:
    """Return ids of indexed documents whose files are no longer in the collections walked."""
    whole = {c.name for c in collections if c.only is None}
    return [i for i, st in states.items() if st.collection in whole and i not in seen]


def _commit(engine: WhooshEngine | None, batch: list[Document], delete: list[str], report: IngestReport) -> None:
    if report.dry_run or engine is None or not (batch or delete):
        return
    engine.write(batch, delete)
    logger.info("committed %d documents, %d deletions", len(batch), len(delete))


def walk(coll: Collection, settings: Settings, report: IngestReport) -> Iterator[Path]:
    """Yield the supported files of a collection, sorted, skipping excluded names and loops."""
    if coll.only is not None:
        yield coll.only
        return
    visited: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(coll.root, followlinks=True, onerror=_walk_error(report)):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in visited:
            report.skipped.append(Problem(dirpath, "symbolic link loop"))
            dirnames[:] = []
            continue
        visited.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not _excluded(d, settings))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if _excluded(name, settings):
                continue
            if settings.include and not any(fnmatch.fnmatch(name, pat) for pat in settings.include):
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                report.skipped.append(Problem(str(path), f"unsupported file type {path.suffix or '(none)'}"))
                continue
            yield path


def _excluded(name: str, settings: Settings) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in settings.exclude)


def _walk_error(report: IngestReport):  # type: ignore[no-untyped-def]
    def handler(exc: OSError) -> None:
        report.failed.append(Problem(str(exc.filename), f"cannot list folder: {exc.strerror}"))
    return handler
