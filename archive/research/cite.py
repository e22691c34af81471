"""Citable result sets: the last ingest run and a short hash of the texts the query matches.

A citation names the query (filters included), the sort, the run it was made after and the hash.
The hash is `t` and the first 12 hex digits of SHA-256 over the content hashes of the distinct
texts the query matches, sorted, one a line (`archive.documents.texts_digest`): it identifies
the set, not its order, so it changes when a text is added, removed or edited, never when only
the ranking moves (BM25 shifts with every document added anywhere). The engine computes it from
the matches it counts for the total, so a search with its citation costs what the search costs.

Opened later, a citation is compared with the archive as it is now: the same hash means the
same texts match. Otherwise the set as it stood after the cited run is rebuilt from run ids and
tombstones (issue 12): documents now in the results that a later run added or changed are
"added"; documents a later run deleted that the query matches (tombstones are searched in a
small index of their own) are "removed". A hash of the older form (12 hex digits, over the
ordered ids of every result) is still compared the old way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from archive.archive import Archive
from archive.documents import Document

HASH_CHARS = 12
TEXTS_MARK = "t"  # starts a hash of the set of texts (an older hash, over ordered ids, has no mark)


def texts_hash(digest: str) -> str:
    """Return the citation hash of a texts digest (`archive.documents.texts_digest`)."""
    return TEXTS_MARK + digest[:HASH_CHARS]


def result_hash(ids: list[str]) -> str:
    """Return the older form of hash: over an ordered list of document ids (kept to check old citations)."""
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
        """True when the result set is identical: the same texts match (an older hash: in the same order)."""
        return self.cited.hash == self.now.hash

    @property
    def same_documents(self) -> bool:
        """True when no document was added, changed or removed (the order may still differ)."""
        return not self.added and not self.removed


def cite(archive: Archive, query: str, sort: str = "relevance", aliases: bool = True) -> Citation:
    """Return the citation of a query's result set as the archive is now."""
    digest, total = archive.texts_digest(query, aliases=aliases)
    last = archive.last_run()
    return Citation(query, sort, last.id if last else "", texts_hash(digest), total)


def with_citation(archive: Archive, data: dict, sort: str = "relevance", aliases: bool = True,
                  digest: str | None = None) -> dict:
    """Add the last ingest run and the result hash to a search's JSON object (CLI and API alike).

    `digest` is the search's own `texts_digest` (from `search(..., cite=True)`); without it (a
    search stopped by its time limit, a cluster) the texts are matched once more to compute it.
    """
    if digest is None:
        digest, _ = archive.texts_digest(data["query"], aliases=aliases)
    last = archive.last_run()
    return {**data, "run": (last.id if last else "") or None, "result_hash": texts_hash(digest)}


def compare(archive: Archive, cited: Citation, aliases: bool = True) -> Comparison:
    """Compare a cited result set with the results of the same query now."""
    if cited.hash.startswith(TEXTS_MARK):
        now = cite(archive, cited.query, cited.sort, aliases)
        if now.hash == cited.hash:
            return Comparison(cited, now)
    listing = archive.listing(cited.query, sort=cited.sort, aliases=aliases)
    if not cited.hash.startswith(TEXTS_MARK):  # an older citation: its hash is over the ordered ids
        last = archive.last_run()
        now = Citation(cited.query, cited.sort, last.id if last else "", result_hash([i for i, _ in listing]),
                       len(listing))
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
