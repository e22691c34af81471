"""Which engine holds an archive: the Whoosh index folder (default) or a Sphinx cluster (`engine = "sphinx"`)."""

from __future__ import annotations

from pathlib import Path

from archive.config import Settings
from archive.engine.whoosh.engine import WhooshEngine


def engine_exists(settings: Settings) -> bool:
    """Return True when the settings' archive has been created (by a first ingest)."""
    if settings.engine == "sphinx":
        from archive.engine.sphinx.engine import SphinxEngine

        return SphinxEngine.exists(Path(settings.index))
    return WhooshEngine.exists(Path(settings.index))


def open_engine(settings: Settings, create: bool = False, warm: bool = False):  # type: ignore[no-untyped-def]
    """Return the engine of the settings' archive (creating it when asked and missing).

    `warm` (for a server): a Whoosh index reads each new generation's tables in the background.
    """
    index = Path(settings.index)
    if settings.engine == "sphinx":
        from archive.engine.sphinx.engine import SphinxEngine
        from archive.engine.sphinx.spec import ClusterSpec

        spec = ClusterSpec.from_settings(settings.cluster, index)
        if create and not SphinxEngine.exists(index):
            return SphinxEngine.create(index, spec)
        return SphinxEngine(index, spec)
    if create and not WhooshEngine.exists(index):
        return WhooshEngine.create(index)
    return WhooshEngine(index, warm=warm)
