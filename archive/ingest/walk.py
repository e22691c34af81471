"""Collections and their files: sorted, following links without looping, skipping excluded names.

Every file that cannot be walked (a link loop, a broken link, a pipe) is reported with a reason.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.config import Settings
from archive.errors import ArchiveError


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
    kept_previous: bool = False  # the file was indexed before and its old version stays searchable


class Reporter(Protocol):
    """Anything with `failed` and `skipped` lists of problems (an ingest report)."""

    failed: list[Problem]
    skipped: list[Problem]


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


_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


class WalkedFiles:
    """The files of a walk of collections, as (collection, path, relpath), holding each relpath only.

    A file's path is its collection's folder joined with its relpath, as the walk makes it, so it
    is made again when asked for; only a path made otherwise (a named file's) is kept. The relpaths
    are one byte string with an offset each, not a list of strings: at a million files a list of
    the three took 324 MB and a list of relpaths 92 MB. One buffer also stays shared with the
    cleaning processes forked after the walk: reading a string object writes its reference count,
    so every page of a list of them was copied into each process that read it.
    """

    def __init__(self, collections: list[Collection], settings: Settings, report: Reporter):
        self._colls: list[Collection] = []
        self._prefixes: list[str] = []  # each collection's folder and a separator: a path is prefix + relpath
        self._ends: list[int] = []  # one past each collection's last file
        self._rels = bytearray()  # every relpath, encoded as the file system's names are (os.fsencode)
        self._starts = array("q", [0])  # where each relpath begins in `_rels`, and one past the last
        self._paths: dict[int, str] = {}  # the paths that are not folder + relpath
        for coll in collections:
            # os.path.join(root, relpath), as the walk makes a path (a relpath is never absolute)
            prefix, rels, starts, paths = os.path.join(str(coll.root), ""), self._rels, self._starts, self._paths
            for path, rel in walk_relative(coll, settings, report):
                if path != prefix + rel:
                    paths[len(starts) - 1] = path
                rels += os.fsencode(rel)
                starts.append(len(rels))
            self._colls.append(coll)
            self._prefixes.append(prefix)
            self._ends.append(len(starts) - 1)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _rel(self, k: int) -> str:
        return self._rels[self._starts[k]:self._starts[k + 1]].decode(_FS_ENCODING, _FS_ERRORS)  # as os.fsdecode

    def __getitem__(self, k: int) -> tuple[Collection, str, str]:
        if not 0 <= k < len(self):
            raise IndexError(k)
        c = bisect_right(self._ends, k) if len(self._ends) > 1 else 0
        rel = self._rel(k)
        return self._colls[c], self._paths.get(k) or self._prefixes[c] + rel, rel

    def __iter__(self) -> Iterator[tuple[Collection, str, str]]:
        start, rels, starts, paths = 0, self._rels, self._starts, self._paths
        for coll, prefix, end in zip(self._colls, self._prefixes, self._ends):
            for k in range(start, end):
                rel = rels[starts[k]:starts[k + 1]].decode(_FS_ENCODING, _FS_ERRORS)  # as `_rel`
                yield coll, paths.get(k) or prefix + rel, rel
            start = end


def walk(coll: Collection, settings: Settings, report: Reporter) -> Iterator[Path]:
    """Yield the supported files of a collection, sorted, skipping excluded names and loops."""
    for path, _ in walk_relative(coll, settings, report):
        yield Path(path)


def walk_relative(coll: Collection, settings: Settings, report: Reporter) -> Iterator[tuple[str, str]]:
    """Yield (path, path relative to the collection's folder) of its supported files, as `walk`.

    Plain strings, not `Path` objects: at 100,000 files pathlib's parsing was most of a no-change run.
    """
    if coll.only is not None:
        yield str(coll.only), coll.only.relative_to(coll.root).as_posix()
        return
    exclude = name_matcher(settings.exclude)
    include = name_matcher(settings.include) if settings.include else None
    visited: set[tuple[int, int]] = set()
    root = os.path.realpath(coll.root)
    yield from _walk_dir(str(coll.root), "", exclude, include, visited, report, root)


def _walk_dir(folder: str, rel: str, exclude: Callable[[str], bool], include: Callable[[str], bool] | None,
              visited: set[tuple[int, int]], report: Reporter, root: str) -> Iterator[tuple[str, str]]:
    try:
        st = os.stat(folder)
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        report.failed.append(Problem(folder, f"cannot list folder: {exc.strerror}"))
        return
    if (st.st_dev, st.st_ino) in visited:
        report.skipped.append(Problem(folder, "symbolic link loop (folder already walked)"))
        return
    visited.add((st.st_dev, st.st_ino))
    for entry in entries:
        name = entry.name
        if exclude(name):
            continue
        try:
            if entry.is_symlink() and os.path.exists(entry.path) and not _inside(entry.path, root):
                # A link must not pull a file from elsewhere on the machine into the archive.
                report.skipped.append(Problem(entry.path, "symbolic link to a place outside the collection"))
                continue
            is_dir, is_file = entry.is_dir(), entry.is_file()
        except OSError as exc:  # a link loop (ELOOP); a vanished file just answers False
            report.failed.append(Problem(entry.path, os_reason(exc)))
            continue
        if is_dir:
            yield from _walk_dir(entry.path, rel + name + "/", exclude, include, visited, report, root)
        elif not is_file:
            _report_odd(entry, report)
        elif include is not None and not include(name):
            continue
        else:
            yield entry.path, rel + name


def _inside(path: str, root: str) -> bool:
    """Return True when a path, links resolved, lies inside the collection's folder."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _report_odd(entry: os.DirEntry, report: Reporter) -> None:
    """Report an entry that is neither a file nor a folder: a broken link, a loop, a pipe."""
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        report.failed.append(Problem(entry.path, os_reason(exc)))
        return
    kind = "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    report.skipped.append(Problem(entry.path, f"not a regular file ({kind})"))


def name_matcher(patterns: list[str]) -> Callable[[str], bool]:
    """Return a test of a name against glob patterns, compiled once (fnmatch per call is slow)."""
    if not patterns:
        return lambda name: False
    rx = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))
    return lambda name: rx.match(name) is not None


def os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "vanished during the run (or a broken symbolic link)"
    return f"cannot read: {exc.strerror or exc}"
