"""Which marked documents are as they were, changed since marked, or gone from the index (orphaned).

A document keeps its marks through re-indexing because marks are keyed by its id; its text's
hash, recorded when it was last marked, tells whether the file changed since. A document that a
later ingest deleted keeps its marks too: it is listed as orphaned, with the path and title it
had, until its marks are removed by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archive.documents import Document
from archive.marks.store import MarkedDoc

STATES = ("ok", "changed", "orphaned")


@dataclass
class MarkedState:
    """A marked document and what became of it in the index."""

    marked: MarkedDoc
    state: str  # one of STATES
    title: str  # the title in the index now, or as recorded for an orphan


def states(marked: list[MarkedDoc], get: Callable[[str], Document | None]) -> list[MarkedState]:
    """Return each marked document with its state: ok, changed (another text now) or orphaned."""
    out = []
    for m in marked:
        doc = get(m.doc_id)
        if doc is None:
            out.append(MarkedState(m, "orphaned", m.title))
        else:
            out.append(MarkedState(m, "ok" if doc.content_hash == m.content_hash else "changed", doc.title))
    return out
