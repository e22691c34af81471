"""Small indexes for tests: folders ingested as `archive ingest` does, and what an index holds."""

from __future__ import annotations

from pathlib import Path

from archive.config import Settings
from archive.engine.choice import open_engine
from archive.ingest import IngestReport, ingest


def build_index(folders: list[Path], index: Path, **kwargs) -> IngestReport:  # type: ignore[no-untyped-def]
    """Ingest folders (each a collection) into an index, made if needed; fail the test if a file failed."""
    report = ingest([str(f) for f in folders], Settings(index=index), **kwargs)
    assert not report.failed, report.summary()
    return report


def index_state(index: Path) -> dict[str, tuple[str, str]]:
    """Return id -> (relpath, content hash) of every indexed document."""
    engine = open_engine(Settings(index=index))
    try:
        return {i: (s.relpath, s.content_hash) for i, s in engine.states().items()}
    finally:
        engine.close()
