"""Citable result sets: the last ingest run and a short hash of the ordered result ids.

A citation names the query (filters included), the sort, the run it was made after and the hash.
Opened later, it is compared with the archive as it is now: the same hash means the same
documents in the same order. Otherwise the set as it stood after the cited run is rebuilt from
run ids and tombstones (issue 12): documents now in the results that a later run added or
changed are "added"; documents a later run deleted that the query matches (tombstones are
searched in a small index of their own) are "removed".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from archive.archive import Archive
from archive.documents import Document

HASH_CHARS = 12


def result_hash(ids: list[str]) -> str:
    """Return the short hash of an ordered list of document ids."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:HASH_CHARS]


@dataclass
class Citation:
    """What identifies a result set: the query, its sort, the run it followed, its hash and size."""

    query: str
    sort: str
    run: str
    hash: str
    total: int


@dataclass
class Comparison:
    """A cited result set against the archive as it is now."""

    cited: Citation
    now: Citation
    added: list[Document] = field(default_factory=list)  # added or changed by a later run
    removed: list[Document] = field(default_factory=list)  # deleted by a later run (tombstones)

    @property
    def same(self) -> bool:
        """True when the result set is identical: same documents in the same order."""
        return self.cited.hash == self.now.hash

    @property
    def same_documents(self) -> bool:
        """True when no document was added, changed or removed (the order may still differ)."""
        return not self.added and not self.removed


def cite(archive: Archive, query: str, sort: str = "relevance", aliases: bool = True) -> Citation:
    """Return the citation of a query's result set as the archive is now."""
    listing = archive.listing(query, sort=sort, aliases=aliases)
    last = archive.last_run()
    return Citation(query, sort, last.id if last else "", result_hash([i for i, _ in listing]), len(listing))


def with_citation(archive: Archive, data: dict, sort: str = "relevance", aliases: bool = True) -> dict:
    """Add the last ingest run and the result hash to a search's JSON object (CLI and API alike)."""
    citation = cite(archive, data["query"], sort, aliases)
    return {**data, "run": citation.run or None, "result_hash": citation.hash}


def compare(archive: Archive, cited: Citation, aliases: bool = True) -> Comparison:
    """Compare a cited result set with the results of the same query now."""
    listing = archive.listing(cited.query, sort=cited.sort, aliases=aliases)
    last = archive.last_run()
    now = Citation(cited.query, cited.sort, last.id if last else "", result_hash([i for i, _ in listing]), len(listing))
    out = Comparison(cited, now)
    if out.same:
        return out
    later = [i for i, run in listing if run > cited.run]
    out.added = [d for d in (archive.get(i) for i in later) if d is not None]
    # Documents deleted after the cited run that existed at it, and that the query matches.
    gone = list({t.doc.id: t.doc for t in archive.tombstones(after=cited.run) if t.run_id <= cited.run}.values())
    now_ids = {i for i, _ in listing}
    hits = archive.matching(cited.query, gone, aliases=aliases)
    out.removed = [d for d in gone if d.id in hits and d.id not in now_ids]
    return out
