"""A full rebuild of a Whoosh index: written into a hidden sibling folder, then swapped in whole.

The old index answers searches until the swap; a rebuild that is killed leaves only its
sibling folder, which the next ingest removes (`remove_stale`).
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
from pathlib import Path

from archive.engine.whoosh.engine import WhooshEngine

logger = logging.getLogger(__name__)
# Files of an index folder that are not index data and move with it through a full rebuild.
_CARRY_OVER = ("README*", ".gitkeep", "runs.sqlite")  # runs.sqlite: the run log (issue 12)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class WhooshRebuild:
    """Rebuild the index folder `target` beside it (`archive.engine.base.Rebuild`)."""

    def __init__(self, target: Path):
        self.target = Path(target).absolute()

    def remove_stale(self) -> None:
        """Remove folders of full rebuilds that were killed (call with the ingest lock held)."""
        parent = self.target.parent
        for stale in parent.glob(f".{self.target.name}.full-*") if parent.is_dir() else ():
            logger.warning("removing %s, left by a full rebuild that did not finish", stale)
            shutil.rmtree(stale, ignore_errors=True)

    def folder(self) -> Path:
        """Return the folder this process rebuilds the index into (a hidden sibling)."""
        return self.target.parent / f".{self.target.name}.full-{os.getpid()}"

    def create(self, folder: Path) -> WhooshEngine:
        """Create an empty index in the folder and return an engine on it."""
        return WhooshEngine.create(folder)

    def swap_in(self, folder: Path) -> Path:
        """Atomically put the rebuilt `folder` at the target; return where the previous folder went.

        Files of the old folder that are not index data (README, .gitkeep) are copied over first.

        Readers never see a missing index: on Linux the two folders are exchanged in one
        `renameat2(RENAME_EXCHANGE)`. Open searchers keep reading the old files (Whoosh opens a
        segment's compound file once), and the searcher manager notices the new folder.
        """
        build, target = Path(folder), self.target
        for pattern in _CARRY_OVER:
            for f in target.glob(pattern) if target.is_dir() else ():
                if f.is_file():
                    shutil.copy2(f, build / f.name)
        if not target.exists():
            os.rename(build, target)
            return build
        if not _exchange(build, target):
            # No atomic exchange (not Linux, or the file system refuses): two renames; readers
            # retry the short moment the index is missing (searchers.open_index).
            aside = build.with_name(build.name + ".old")
            os.rename(target, aside)
            os.rename(build, target)
            return aside
        return build


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2; return False when unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    logger.info("renameat2 exchange failed (%s); falling back to two renames", os.strerror(err))
    return False
