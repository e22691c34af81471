"""Related documents: the glue between ingest, the story clusters and the engine's related queries.

Ingest opens the story signatures of an index with `open_stories`; the `Archive` facade answers
"more like this", story versions and story counts through the engine (`archive.engine.base.Engine`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from archive.engine.base import Engine
from archive.engine.common import Related
from archive.stories import StoryIndex

__all__ = ["Related", "StoryIndex", "open_stories"]
logger = logging.getLogger(__name__)


def open_stories(engine: Engine, memory_rows: int | None = None) -> StoryIndex | None:
    """Open the story signatures beside an index, rebuilt from the index when they describe another commit.

    None when the engine keeps no story clusters (each distinct text is its own story there).
    `memory_rows`: the new signatures a run holds in memory before it moves them to a scratch
    file (`StoryIndex`); those stored before the run are never loaded whole.
    Call with the ingest lock held, before anything else reads the index's commit stamp (adding
    the `story` field to an older index is a commit of its own).
    """
    if not engine.keeps_stories:
        return None
    engine.prepare_stories()
    stories = StoryIndex(Path(engine.path), memory_rows=memory_rows)
    stamp = engine.stamp()
    if stories.stamp() != stamp:
        if stories.stamp() is not None:
            logger.warning("the story signatures do not describe the index's last commit: rebuilding them")
        stories.rebuild(engine.stored_stories(), stamp)
    return stories
