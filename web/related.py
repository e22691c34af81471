"""Related documents in the web app: the document view's "Related documents" and `/story/<id>`."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

from archive.archive import Archive
from archive.documents import Document, SearchResult
from archive.engine.common import Related
from archive.errors import BadQuery
from web.facade import get_archive

bp = Blueprint("related", __name__)
STORY_ID = re.compile(r"[0-9a-f]{16,20}")  # a document id, or a content hash for unclustered texts
SHOWN = 8  # similar documents in the document view


def context(archive: Archive, doc: Document) -> dict:
    """Return what doc.html needs for its "Related documents" section."""
    found = archive.similar(doc.id, SHOWN, exclude_story=True)
    terms, similar = found if found is not None else ([], [])
    story = doc.story or doc.content_hash
    versions = [r for r in archive.story(story) if r.id != doc.id and r.path != doc.path]
    return {"key_terms": terms, "similar": similar, "story_id": story, "versions": versions,
            "by_meaning": by_meaning(archive, doc)}


def by_meaning(archive: Archive, doc: Document) -> list[Related]:
    """Return the documents closest in meaning to one (none without a meaning model); its story left out."""
    try:
        found = archive.similar(doc.id, SHOWN, by="meaning")
    except BadQuery:
        return []
    return found[1] if found is not None else []


def versions(archive: Archive, result: SearchResult | None) -> dict[str, tuple[str, int]]:
    """Return (story id, versions) of each hit on a page of results."""
    if result is None or not result.hits:
        return {}
    return archive.stories_of([h.id for h in result.hits])


@bp.route("/story/<story_id>")
def story(story_id: str) -> str:
    """List every version (distinct text) of one story cluster."""
    if not STORY_ID.fullmatch(story_id):
        abort(404)
    found = get_archive().story(story_id)
    if not found:
        abort(404)
    return render_template("story.html", story_id=story_id, versions=found)
