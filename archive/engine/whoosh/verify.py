"""Check a Whoosh index folder for damage: its table of contents and each segment, file by file.

A truncated segment or a garbled table of contents made every command fail with a raw
`EOFError` or `UnpicklingError`; this check names the damaged part in plain words instead. The
quick check (every run and every server start) opens each segment and reads its first and last
stored documents; the thorough one (`archive check`) reads every stored document and every word
of every field.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from whoosh.codec.base import Segment
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from archive.engine.common import Damage, Verdict

logger = logging.getLogger(__name__)
RECHECKS = 4  # checks that found damage while a commit or a folder swap landed, before the damage is believed
SETTLE = 0.3  # seconds before damage found on a commit that did not move is checked once more


def has_index(path: Path) -> bool:
    """Return True when a folder holds a Whoosh index (a table of contents), readable or not.

    Whoosh's own `exists_in` reads the table of contents, so a garbled one looked like no index.
    """
    path = Path(path)
    return path.is_dir() and any(path.glob("_MAIN_*.toc"))


def verify_index(path: Path, thorough: bool = False) -> Verdict:
    """Check the index in a folder; never raise for damage, describe it.

    A commit in another process deletes the segments it merged away, and a full rebuild swaps
    the folder: a check that reads across either can find a file missing or cut short. Damage
    found while the index moved on is checked again, on the commit that is there now.

    Damage on a commit that did not move is believed only when a second check, a moment later,
    finds the same: a reader racing a writer's commit can see a segment or a table of contents
    that the commit replaces in the same instant, and real damage stays where it is.
    """
    path = Path(path)
    settled = False
    for _ in range(RECHECKS):
        before = _commit_of(path)
        verdict = _verify(path, thorough)
        if verdict.ok:
            return verdict
        if _commit_of(path) != before:
            logger.info("the index at %s changed during its check: checking it again", path)
            settled = False
            continue
        if settled:
            return verdict
        logger.info("damage found in the index at %s: checking it again in %.1f s", path, SETTLE)
        settled = True
        time.sleep(SETTLE)
    return verdict


def _commit_of(path: Path) -> tuple[int, tuple[str, ...]] | None:
    """Return what tells one commit of a folder from the next: its inode and its tables of contents."""
    try:
        return path.stat().st_ino, tuple(sorted(p.name for p in path.glob("_*.toc")))
    except OSError:
        return None


def _verify(path: Path, thorough: bool) -> Verdict:
    """Check the commit of the index that is in the folder now."""
    verdict = Verdict(damage=[])
    storage = FileStorage(str(path), supports_mmap=False)
    try:
        ix = storage.open_index()
        generation = ix.latest_generation()
        segments = ix._segments()  # noqa: SLF001 - Whoosh has no public list of a commit's segments
    except Exception as exc:  # noqa: BLE001 - any failure to read the TOC is damage to report
        toc = sorted(path.glob("_*.toc"))
        verdict.damage.append(Damage("table of contents", str(toc[-1] if toc else path), _describe(exc)))
        return verdict
    try:
        for segment in segments:
            verdict.segments += 1
            damage = _check_segment(storage, ix.schema, segment, generation, thorough)
            if damage is None:
                verdict.documents += segment.doc_count()
            else:
                verdict.damage.append(Damage(f"segment {segment.segment_id()}",
                                             str(path / f"{segment.segment_id()}.seg"), damage))
    finally:
        ix.close()
    return verdict


def _check_segment(storage: FileStorage, schema: Schema, segment: Segment, generation: int,
                   thorough: bool) -> str | None:
    """Return what is wrong with one segment, or None."""
    name = f"{segment.segment_id()}.seg"
    if segment.is_compound() and not storage.file_exists(name):
        return "the file is missing"
    try:
        reader = SegmentReader(storage, schema, segment, generation=generation)
    except Exception as exc:  # noqa: BLE001
        return _describe(exc)
    try:
        count = reader.doc_count_all()
        docs = range(count) if thorough else sorted({0, count - 1}) if count else []
        for docnum in docs:
            reader.stored_fields(docnum)
        if thorough:
            for fieldname in reader.indexed_field_names():
                for _ in reader.lexicon(fieldname):
                    pass
        return None
    except Exception as exc:  # noqa: BLE001
        return _describe(exc)
    finally:
        reader.close()


def _describe(exc: Exception) -> str:
    """Return a short description of what reading failed with."""
    if isinstance(exc, EOFError) or "Ran out of input" in str(exc):
        return "it ends too early (truncated)"
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"it cannot be read ({type(exc).__name__}{': ' + text if text else ''})"
