"""The archive's own types: documents, removed blocks, hits and search results.

The engine seam speaks only in these types, so a second engine can sit behind it (DESIGN.md §1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from archive.render import snippet_html
from archive.spans import Snippet, Span


@dataclass
class Removed:
    """A block of the original text that cleaning removed, with the reason and where it stood."""

    text: str
    reason: str
    start: int = -1  # character offset in the decoded original (-1 when unknown)
    at: int = -1  # offset in the cleaned text where the block stood (-1 when unknown)


@dataclass
class Document:
    """One cleaned source document, as it is indexed and shown."""

    id: str
    collection: str
    path: str  # absolute path of the source file
    relpath: str  # path relative to the collection's folder
    title: str
    text: str  # the cleaned article text: paragraphs separated by blank lines
    source: str = ""
    date: str = ""  # ISO date, YYYY-MM-DD, or "" when unknown
    date_source: str = ""  # where the date came from: metadata, text, filename, mtime
    url: str = ""
    language: str = ""
    content_hash: str = ""
    size: int = 0
    mtime_ns: int = 0
    removed: list[Removed] = field(default_factory=list)
    encoding: str = ""
    ingested_at: str = ""
    pipeline: str = ""
    format: str = ""  # what the file (or the member this part came from) is: text, html, pdf, eml...
    file_id: str = ""  # id of the source file; a file gives several documents (messages, members)
    meta: dict = field(default_factory=dict)  # format-specific: pages, from, to, topics, parent...
    run_id: str = ""  # the ingest run that added or last changed the document ("" before run ids)
    story: str = ""  # label of its cluster of near-duplicates, set at ingest (archive/stories.py)

    def to_dict(self) -> dict:
        """Return the document as a plain dict (for JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Document:
        """Return the document of a plain dict made by `to_dict`."""
        return cls(**{**d, "removed": [Removed(**r) for r in d.get("removed") or []]})


@dataclass
class Hit:
    """One result of a search: a document (standing for all its identical copies) and its snippets."""

    id: str
    title: str
    source: str
    collection: str
    date: str
    url: str
    path: str
    paths: list[str]
    score: float
    snippets: list[Snippet]  # passages of the text with their matches
    matched: list[str] = field(default_factory=list)
    title_spans: list[Span] = field(default_factory=list)  # the matches in the title
    language: str = ""
    relpath: str = ""  # the path inside its collection, what exports name it by

    def to_dict(self) -> dict:
        """Return the hit in the JSON shape of DESIGN.md §8: snippets as marked HTML."""
        d = asdict(self)
        d["snippets"] = [snippet_html(s) for s in self.snippets]
        d.pop("title_spans")
        d.pop("language")
        d.pop("relpath")
        return d


@dataclass
class SearchResult:
    """A page of hits and what is known about the whole result set."""

    query: str
    interpreted: str
    total: int
    total_exact: bool
    partial: bool
    offset: int
    limit: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    messages: list[str] = field(default_factory=list)
    # SHA-256 of the distinct texts matched (`texts_digest`), when the search was asked for it
    # (`cite=True`) and could take it from the matches it counted; None otherwise.
    texts_digest: str | None = None
    texts_count: int = 0

    def to_dict(self) -> dict:
        """Return the result in the JSON shape of DESIGN.md §8."""
        return {
            "query": self.query,
            "interpreted": self.interpreted,
            "total": self.total,
            "total_exact": self.total_exact,
            "partial": self.partial,
            "offset": self.offset,
            "limit": self.limit,
            "suggestion": self.suggestion,
            "facets": self.facets,
            "hits": [h.to_dict() for h in self.hits],
            "messages": list(self.messages),
        }


def document_id(collection: str, relpath: str) -> str:
    """Return the stable id of a document: a short hash of its collection and relative path."""
    key = f"{collection}\0{relpath}".encode()
    return hashlib.sha1(key).hexdigest()[:16]


def texts_digest(hashes: Iterable[str]) -> str:
    """Return the SHA-256 (hex) of a set of texts, given their content hashes in sorted order.

    Each content hash is followed by a newline. A citation's result hash is made from it
    (archive/research/cite.py); the engine computes the same bytes from its arrays.
    """
    h = hashlib.sha256()
    for value in hashes:
        h.update(value.encode() + b"\n")
    return h.hexdigest()


def content_hash(text: str) -> str:
    """Return the hash of a cleaned text, used to group identical copies."""
    normal = " ".join(text.split()).casefold()
    return hashlib.sha1(normal.encode()).hexdigest()[:20]
