"""Which engine holds an archive: the Whoosh index folder (default) or a Sphinx cluster (`engine = "sphinx"`).

The only place that maps the `engine` setting to an engine class. What depends on the kind of
engine before one is open (does the archive exist, may its files be checked, how is it rebuilt
whole) is asked here; everything else goes through the `Engine` interface (`base.py`). Each
engine's package is imported only when the settings name it.
"""

from __future__ import annotations

from pathlib import Path

from archive.config import Settings
from archive.engine.base import Engine, Rebuild
from archive.engine.common import Verdict


def engine_exists(settings: Settings) -> bool:
    """Return True when the settings' archive has been created (by a first ingest)."""
    if uses_cluster(settings):
        from archive.engine.sphinx.engine import SphinxEngine

        return SphinxEngine.exists(Path(settings.index))
    from archive.engine.whoosh.engine import WhooshEngine

    return WhooshEngine.exists(Path(settings.index))


def open_engine(settings: Settings, create: bool = False, warm: bool = False) -> Engine:
    """Return the engine of the settings' archive (creating it when asked and missing).

    `warm` (for a server): a Whoosh index reads each new generation's tables in the background.
    """
    index = Path(settings.index)
    if uses_cluster(settings):
        from archive.engine.sphinx.engine import SphinxEngine
        from archive.engine.sphinx.spec import ClusterSpec

        spec = ClusterSpec.from_settings(settings.cluster, index)
        if create and not SphinxEngine.exists(index):
            return SphinxEngine.create(index, spec)
        return SphinxEngine(index, spec)
    from archive.engine.whoosh.engine import WhooshEngine

    if create and not WhooshEngine.exists(index):
        return WhooshEngine.create(index)
    return WhooshEngine(index, warm=warm)


def has_index_files(settings: Settings) -> bool:
    """Return True when the archive's index is files in its folder, which `archive check` reads.

    A cluster's documents live in its daemons: `archive cluster status` checks those.
    """
    return not uses_cluster(settings)


def verify_files(settings: Settings, thorough: bool = False) -> Verdict:
    """Check the archive's index files for damage without opening the engine; never raise for damage.

    A cluster keeps no index files in the folder: its verdict finds nothing.
    """
    if not has_index_files(settings):
        return Verdict(damage=[])
    from archive.engine.whoosh.verify import verify_index

    return verify_index(Path(settings.index), thorough)


def full_rebuild(settings: Settings) -> Rebuild | None:
    """Return how a full rebuild is built beside the index and swapped in, or None.

    None: the engine (a cluster) cannot swap its documents at once; a full rebuild writes every
    document again where it is, and searches keep answering from the old or the new version.
    """
    if uses_cluster(settings):
        return None
    from archive.engine.whoosh.rebuild import WhooshRebuild

    return WhooshRebuild(Path(settings.index))


def uses_cluster(settings: Settings) -> bool:
    """Return True when the settings put the archive in a Sphinx cluster."""
    return settings.engine == "sphinx"
