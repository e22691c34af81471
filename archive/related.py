"""Related documents: the glue between ingest, the story clusters and the engine's related queries.

Ingest opens the story signatures of an index with `open_stories`; the `Archive` facade answers
"more like this", story versions and story counts through the engine (archive/engine/similar.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

from archive.clusters import StoryIndex
from archive.engine.whoosh.engine import WhooshEngine
from archive.engine.whoosh.similar import Related, ensure_story_field, stored_stories

__all__ = ["Related", "StoryIndex", "open_stories"]
logger = logging.getLogger(__name__)


def open_stories(engine: WhooshEngine) -> StoryIndex:
    """Open the story signatures beside an index, rebuilt from the index when they describe another commit.

    Call with the ingest lock held, before anything else reads the index's commit stamp (adding
    the `story` field to an older index is a commit of its own).
    """
    ensure_story_field(engine.path)
    stories = StoryIndex(Path(engine.path))
    stamp = engine.stamp()
    if stories.stamp() != stamp:
        if stories.stamp() is not None:
            logger.warning("the story signatures do not describe the index's last commit: rebuilding them")
        with engine.searcher() as s:
            stories.rebuild(stored_stories(s), stamp)
    return stories
