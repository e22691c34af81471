"""One export row per search result, shared by `archive search --format csv|jsonl` and the web download.

A row names its document by its path inside its collection (`relpath`), never by the server's
absolute path: an export leaves the server, and the file system layout behind it should not.
"""

from __future__ import annotations

from archive.documents import Hit

COLUMNS = ["id", "title", "source", "date", "url", "path", "score", "snippet"]


def hit_row(hit: Hit) -> dict:
    """Return the export row of a hit (DESIGN.md §8), its snippet as plain text."""
    return {"id": hit.id, "title": hit.title, "source": hit.source, "date": hit.date, "url": hit.url,
            "path": hit.relpath, "score": hit.score, "snippet": hit.snippets[0].text if hit.snippets else ""}
