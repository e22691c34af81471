"""Keep the meaning model current after an ingest: train it, fold new texts in, or retrain it.

A model is retrained when there is none, after a full rebuild, and when the documents added,
changed or deleted since its training reach `RETRAIN_SHARE` of the texts there were then (new
words and topics then matter); otherwise the changed documents are projected with the learnt
vocabulary ("updated"), which costs one read of the stored texts and no training.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from archive.config import Settings
from archive.documents import Document
from archive.engine.base import Engine
from archive.engine.choice import open_engine
from archive.errors import ArchiveError
from archive.meaning import model as mm
from archive.query.tree import Everything

logger = logging.getLogger(__name__)
RETRAIN_SHARE = 0.2  # changes since training, as a share of the texts trained on, that call for retraining


def refresh(engine: Engine, index: Path, changed: int, full: bool = False) -> str:
    """Bring the model beside the index up to date with the engine's documents; return what was done, in words."""
    stored = mm.info(index)
    if stored is not None and not full and changed == 0 and stored.documents == engine.count():
        return "meaning model unchanged"
    current = None if full or stored is None else mm.load(index)
    if current is None or _retrain(current.info, changed):
        done = mm.build(_closing_read(engine), index, procs=min(2, os.cpu_count() or 1),
                        hashes=_closing_hashes(engine) if engine.hashes_at_hand else None)
        verb = "trained" if stored is None else "retrained"
        learnt = f"{done.trained_on:,} texts" if done.trained_on >= done.texts else \
            f"{done.trained_on:,} of {done.texts:,} texts"
        note = (f"meaning model {verb} on {learnt} "
                f"({done.terms:,} terms, {done.dims} dimensions) in {done.seconds:.1f} s")
    else:
        done = mm.update(current, engine.documents(), changed, index)
        note = (f"meaning model updated: {changed:,} changes folded in without retraining "
                f"({done.changed_since:,} since it was trained on {done.trained_on:,} texts)")
    if done.too_small:
        note += f". {done.note()}"
    logger.info("%s", note)
    return note


def _closing_read(engine: Engine) -> Callable[[], Iterator[Document]]:
    """Return a read of every stored document that closes the engine's readers once it is done.

    Training reads the documents two or three times, and forked processes make some of the reads
    (`model.build`): each must open a reader of its own (a searcher kept open here would share its
    file offsets with it).
    """
    def read() -> Iterator[Document]:
        try:
            yield from engine.documents()
        finally:
            engine.close()  # the next read (or search) opens them again

    return read


def _closing_hashes(engine: Engine) -> Callable[[], set[str]]:
    """Return how to get the distinct content hashes of every stored document, closing the engine's
    readers afterwards (as `_closing_read` does)."""
    def hashes() -> set[str]:
        try:
            return engine.text_hashes(Everything())
        finally:
            engine.close()

    return hashes


def _retrain(info: mm.Info, changed: int) -> bool:
    """Return True when enough has changed since training (or the model is too small to keep)."""
    if info.too_small:
        return True  # a small archive trains in moments, and every text helps
    return info.changed_since + changed >= RETRAIN_SHARE * max(1, info.trained_on, info.texts)


def after_ingest(settings: Settings, changed: int, full: bool) -> str:
    """Refresh the model after an ingest committed; return what was done (a failure is said, never raised)."""
    try:
        engine = open_engine(settings)
        try:
            return refresh(engine, Path(settings.index), changed, full)
        finally:
            engine.close()
    except (ArchiveError, OSError, MemoryError, ValueError) as exc:
        logger.warning("the meaning model was not brought up to date: %s", exc)
        return f"meaning model not brought up to date: {exc}"
