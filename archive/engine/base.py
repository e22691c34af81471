"""The engine interface: everything the facade, ingest, research tools and web app ask of an engine.

Both engines implement all of it: `whoosh/engine.py` (an index folder) and `sphinx/engine.py`
(a sharded, mirrored cluster). `choice.py` is the only place that picks one from the settings,
so nothing outside `archive/engine/` asks which engine it has. Where an engine lacks a feature
it answers as the archive does without it: a cluster keeps no story clusters, so each distinct
text is its own story there and a story count says that distinct texts were counted.

Queries arrive as parsed trees (aliases already expanded by the facade); documents, hits and
results leave as the archive's own types (`archive/documents.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from archive.documents import Document, Hit, SearchResult
from archive.engine.common import TIME_BUDGET, FileState, Related, Verdict
from archive.query.tree import Node
from archive.spans import Marks, Span


class Engine(Protocol):
    """One archive's documents in one engine: search, read, write and rebuild them."""

    path: Path  # the archive's index folder: the manifest, run log and story signatures live there
    # True when story clusters (near-duplicate texts) are kept with the documents; an engine
    # without them treats each distinct text as its own story.
    keeps_stories: bool
    # True when `text_hashes(Everything())` reads a column, not the documents: the meaning model
    # then chooses its sample before its first read and reads the documents once less.
    hashes_at_hand: bool

    # -- searching ------------------------------------------------------------------------

    def search(self, tree: Node, *, query: str = "", interpreted: str = "", limit: int = 10,
               offset: int = 0, sort: str = "relevance", facets: bool = True,
               snippet_count: int = 3, time_budget: float = TIME_BUDGET,
               suggest_from: Node | None = None, cite: bool = False,
               literal: Node | None = None, count: str = "texts") -> SearchResult:
        """Run a query tree: the total of distinct texts, facets, and one page of hits.

        The walk over the matches stops after `time_budget` seconds (the result is then partial).
        `suggest_from` is the tree as written (before aliases): when few documents match, its
        rare words are checked for typos. `cite` asks for the digest of the texts matched.
        `literal` is the tree before aliases: by relevance, the texts it matches may rank first.
        `count="stories"` counts story clusters instead of distinct texts in the total and facets,
        and lists one hit per story (its best-ranked version).
        """
        ...

    def export(self, tree: Node, *, sort: str = "relevance", literal: Node | None = None) -> Iterator[Hit]:
        """Yield every distinct hit in the order of the sort, each with one snippet, with no time limit."""
        ...

    def count(self) -> int:
        """Return the number of documents."""
        ...

    def get(self, doc_id: str) -> Document | None:
        """Return the stored document with this id, or None."""
        ...

    def copies(self, content_hash: str) -> list[str]:
        """Return the paths of every document whose cleaned text has this hash, sorted."""
        ...

    def marked(self, doc: Document, tree: Node) -> Marks:
        """Return every match of the query in the document's title and text, as spans."""
        ...

    def stats(self) -> dict:
        """Return the document count, documents per source, language, year and month, and the index's size."""
        ...

    # -- related documents and stories ----------------------------------------------------

    def similar(self, doc_id: str, limit: int, exclude_story: bool = False) -> tuple[list[str], list[Related]] | None:
        """Return a document's key terms and the documents most like it (not its copies), or None.

        With `exclude_story` the other versions of its story are left out, and each other story
        appears once.
        """
        ...

    def story(self, story_id: str) -> list[Related]:
        """Return one document per distinct text of a story, oldest first ([] if unknown)."""
        ...

    def largest_stories(self, limit: int, min_versions: int = 2) -> list[tuple[str, int]]:
        """Return (story id, number of versions) of the largest stories, largest first."""
        ...

    def stories_of(self, doc_ids: list[str]) -> dict[str, tuple[str, int]]:
        """Return (story id, number of versions) for each of these documents that exists."""
        ...

    def prepare_stories(self) -> None:
        """Make the index ready to hold story labels (an index made before them gains the field)."""
        ...

    def stored_stories(self) -> Iterator[tuple[str, str, str]]:
        """Yield (id, story label, text) of every document, to rebuild the story signatures."""
        ...

    # -- the meaning model (archive/meaning/) ---------------------------------------------

    def documents(self) -> Iterator[Document]:
        """Yield every stored document once, in no particular order (to train the meaning model)."""
        ...

    def text_hashes(self, tree: Node) -> set[str]:
        """Return the content hashes of the texts a tree matches (to keep meaning results to filters)."""
        ...

    # -- research workflows ---------------------------------------------------------------

    def occurrences(self, tree: Node, sort: str = "relevance") -> Iterator[tuple[Document, list[Span]]]:
        """Yield every distinct result, in the order of the sort, with the spans of its body matches."""
        ...

    def listing(self, tree: Node, sort: str = "relevance") -> list[tuple[str, str]]:
        """Return (id, run id) of every distinct result, in the order of the sort."""
        ...

    def texts_digest(self, tree: Node) -> tuple[str, int]:
        """Return the digest of the distinct texts the tree matches (documents.texts_digest), and their number."""
        ...

    def new_since(self, tree: Node, run_id: str) -> list[Document]:
        """Return the distinct documents matching the tree that a run after `run_id` added or changed."""
        ...

    def matching(self, tree: Node, docs: Iterable[Document]) -> set[str]:
        """Return the ids of these documents (not in the index: tombstones) that the tree matches."""
        ...

    # -- writing and what the ingest needs ------------------------------------------------

    def write(self, add: Iterable[Document] = (), delete: Iterable[str] = (), *, merge: bool = True) -> int:
        """Delete documents by id and add (or replace) documents; return the number added.

        Raises `IndexLocked` when another writer holds the index, `WriteFailed` naming the
        documents that could not be written (the others stand). `merge=False` may leave small
        segments to merge at a later write.
        """
        ...

    def bulk(self, procs: int = 1, limitmb: int = 256) -> AbstractContextManager[Callable[[Document], None]]:
        """Return a context giving a function that adds a document; everything is written by its end.

        For full builds into an empty index; callers compare `count()` with what they added.
        """
        ...

    def stamp(self) -> str:
        """Return an identifier of the index's content as last written (the manifest records it)."""
        ...

    def states(self) -> dict[str, FileState]:
        """Return the state of every indexed file, by document id (to rebuild the manifest)."""
        ...

    def verify(self, thorough: bool = False) -> Verdict:
        """Check the index for damage; never raise for damage, describe it."""
        ...

    def close(self) -> None:
        """Release open searchers or connections."""
        ...


class Rebuild(Protocol):
    """A full rebuild written into a new folder beside the archive's index, then swapped in whole.

    `choice.full_rebuild` returns one for an engine that rebuilds this way; an engine that
    rewrites every document where it is (a cluster) has none.
    """

    def remove_stale(self) -> None:
        """Remove the folders of rebuilds that were killed (call with the ingest lock held)."""
        ...

    def folder(self) -> Path:
        """Return the folder this process rebuilds into."""
        ...

    def create(self, folder: Path) -> Engine:
        """Create an empty index in the folder and return an engine on it."""
        ...

    def swap_in(self, folder: Path) -> Path:
        """Put the rebuilt folder in the index's place at once; return where the previous folder went."""
        ...
