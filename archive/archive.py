"""The `Archive` facade: what the CLI and the web app talk to, never to a searcher or writer."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path

from archive.config import Settings
from archive.documents import Document, Hit, SearchResult
from archive.engine.choice import engine_exists, open_engine, verify_files
from archive.engine.common import SORTS, TIME_BUDGET, Related
from archive.errors import BadQuery, IndexDamaged, IndexNotFound
from archive.health import damage_message
from archive.marks import search as marks_search
from archive.marks.store import MarkStore, marks_path
from archive.meaning import rank
from archive.meaning.model import Model
from archive.names.variants import Group, collect, key_of, suggest
from archive.query import parse
from archive.query.aliases import NO_ALIASES, Aliases, load_aliases
from archive.query.filters import NO_FILTERS, Filters, compose
from archive.query.tree import Node
from archive.research.runs import Run, RunLog, Tombstone
from archive.spans import Marks, Span

logger = logging.getLogger(__name__)
LAST_INGEST = "last-ingest.json"
MAX_LIMIT = 1000
COUNTS = ("texts", "stories")  # what totals and facets count: distinct texts, or story clusters


def _refuse_damaged(settings: Settings) -> None:
    """Raise `IndexDamaged`, naming the part and the repair, when the index cannot be read whole."""
    verdict = verify_files(settings)
    if not verdict.ok:
        raise IndexDamaged(damage_message(Path(settings.index), verdict.damage or [],
                                          [str(p) for p in settings.collections.values()]))


class Archive:
    """One archive: an index and the settings it was opened with. Safe to share between threads."""

    def __init__(self, settings: Settings, warm: bool = False):
        """Open the archive; `warm` (a long-lived server) prepares each index generation in the background."""
        self.settings = settings
        self.index = Path(settings.index)
        if not engine_exists(settings):
            raise IndexNotFound(f"No index at {self.index}. "
                                f"Create one with: archive ingest --index {self.index} FOLDER")
        _refuse_damaged(settings)
        self.engine = open_engine(settings, warm=warm)
        self._hashes: tuple[str, dict[str, str | None]] = ("", {})  # per index commit: document id -> text hash

    def search(self, query: str, *, filters: Filters = NO_FILTERS, limit: int = 10, offset: int = 0,
               sort: str = "relevance", facets: bool = True, snippets: int = 3, aliases: bool = True,
               time_budget: float = TIME_BUDGET, count: str = "texts", cite: bool = False,
               mode: str = "keyword") -> SearchResult:
        """Parse and run a query; raise `BadQuery` with a plain message when nothing can be searched.

        `filters` restrict the results to sources, dates and languages without becoming part
        of the query: the result's query, reading and suggestion are about the query alone (a
        blank query with filters searches the filters alone). `aliases=False` searches the names
        as written, without their variants; `time_budget` is how many seconds the search may
        take before it stops with a partial result.
        `count="stories"` counts story clusters (near-duplicates once) in the total and facets, and
        lists one hit per story: its best-ranked version (the others: `story`, "n versions").
        `cite` asks the engine for the digest of the texts matched (`SearchResult.texts_digest`),
        from the matches it counts anyway, for a citation (archive/research/cite.py).
        `mode` "meaning" ranks texts by closeness in meaning to the query, "hybrid" fuses that
        with the keyword ranking (archive/meaning/, docs/meaning.md).
        """
        if mode != "keyword":
            return self.search_meaning(query, filters=filters, limit=limit, offset=offset, sort=sort, facets=facets,
                                       snippets=snippets, aliases=aliases, mode=mode)
        if count not in COUNTS:
            raise BadQuery(f"Unknown count {count!r}; use one of {', '.join(COUNTS)}")
        _check_sort(sort)
        if limit < 0 or offset < 0:
            raise BadQuery("limit and offset must not be negative")
        run = compose(query, filters, self.aliases if aliases else NO_ALIASES)
        tree = self.with_marks(run.tree)
        result = self.engine.search(tree, query=query, interpreted=run.interpreted,
                                    limit=min(limit, MAX_LIMIT), offset=offset, sort=sort,
                                    facets=facets, snippet_count=snippets, time_budget=time_budget,
                                    suggest_from=run.words, cite=cite, literal=run.literal, count=count)
        result.messages = run.notes + result.messages
        if facets and (tags := self._tag_facet(tree)):
            result.facets["tag"] = tags
        return result

    def similar(self, doc_id: str, limit: int = 10, exclude_story: bool = False,
                by: str = "terms") -> tuple[list[str], list[Related]] | None:
        """Return a document's key terms and the documents most like it (not its copies), or None.

        With `exclude_story` the other versions of its story are left out too, and each other
        story appears once. `by="meaning"` ranks by the meaning model (its story always left out).
        """
        if by == "meaning":
            return rank.similar(self.engine, self.meaning.get(), doc_id, max(0, min(limit, MAX_LIMIT)))
        if by != "terms":
            raise BadQuery(f"Unknown kind of similarity {by!r}; use terms or meaning")
        return self.engine.similar(doc_id, max(0, min(limit, MAX_LIMIT)), exclude_story)

    def story(self, story_id: str) -> list[Related]:
        """Return one document per distinct text of a story cluster, oldest first ([] if unknown)."""
        return self.engine.story(story_id)

    def largest_stories(self, limit: int = 20, min_versions: int = 2) -> list[tuple[str, int]]:
        """Return (story id, number of versions) of the largest story clusters."""
        return self.engine.largest_stories(limit, min_versions)

    def stories_of(self, doc_ids: list[str]) -> dict[str, tuple[str, int]]:
        """Return (story id, number of versions) for each of these documents."""
        return self.engine.stories_of(doc_ids)

    def export(self, query: str, *, filters: Filters = NO_FILTERS, sort: str = "relevance",
               aliases: bool = True, mode: str = "keyword") -> Iterator[Hit]:
        """Return every result of a query (one per distinct text, one snippet each), for CSV or JSON Lines export.

        The query is read now (a `BadQuery` is raised here, before any row); the results are
        read as they are taken.
        """
        _check_sort(sort)
        if mode != "keyword":
            ranked, model = self._by_meaning(query, filters, sort, aliases, mode)
            return rank.hits(self.engine, model, ranked, rank.query_words(model, query), 1)
        run = compose(query, filters, self.aliases if aliases else NO_ALIASES)
        return self.engine.export(self.with_marks(run.tree), sort=sort, literal=run.literal)

    # -- search by meaning (archive/meaning/, docs/meaning.md) ---------------------------------

    @cached_property
    def meaning(self) -> rank.Models:
        """Return the meaning model beside the index (loaded when first asked for, and again after a rebuild)."""
        return rank.Models(self.index)

    def search_meaning(self, query: str, *, filters: Filters = NO_FILTERS, limit: int = 10, offset: int = 0,
                       sort: str = "relevance", facets: bool = True, snippets: int = 3, aliases: bool = True,
                       mode: str = "meaning") -> SearchResult:
        """Rank the texts closest in meaning to the query ("hybrid": fused with the keyword ranking)."""
        if limit < 0 or offset < 0:
            raise BadQuery("limit and offset must not be negative")
        ranked, model = self._by_meaning(query, filters, sort, aliases, mode)
        notes = [model.info.note()] if model.info.too_small else []
        return rank.page(self.engine, model, ranked, query=query, interpreted=f"{mode}: {query.strip()}",
                         limit=min(limit, MAX_LIMIT), offset=offset, with_facets=facets, snippet_count=snippets,
                         notes=notes)

    def _by_meaning(self, query: str, filters: Filters, sort: str, aliases: bool,
                    mode: str) -> tuple[rank.Ranked, Model]:
        rank.check_mode(mode)
        _check_sort(sort)
        model = self.meaning.get()
        allowed = self.engine.text_hashes(self.with_marks(filters.restrict(None))) if filters else None
        ranked = rank.closest(model, rank.query_vector(model, query), allowed=allowed)
        if mode == "hybrid":
            try:
                keyword = self.search(query, filters=filters, limit=rank.CANDIDATES // 10, facets=False,
                                      snippets=0, aliases=aliases)
                ranked = rank.fuse(model, ranked, [h.id for h in keyword.hits])
            except BadQuery:
                pass  # text that does not read as a query is ranked by meaning alone
        return rank.ordered(model, ranked, sort), model

    def name_variants(self, min_count: int = 1) -> list[Group]:
        """Return groups of spellings of one name found in the archive, with their evidence (archive/names/)."""
        try:
            model: Model | None = self.meaning.get()
        except BadQuery:
            model = None  # no context evidence: only exact romanizations of Hangul join
        known = [frozenset(key_of(n) for n in group) for group in self.aliases.groups]
        return suggest(collect(self.engine.documents(), min_count), model, known)

    @cached_property
    def aliases(self) -> Aliases:
        """Return the aliases named by the settings (none by default: the demo corpus names its own)."""
        setting = str(self.settings.aliases or "")
        if setting.lower() in ("off", "none", "false"):
            return NO_ALIASES
        return load_aliases(setting or None)

    def get(self, doc_id: str) -> Document | None:
        """Return a document by id, or None."""
        return self.engine.get(doc_id)

    def copies(self, doc: Document) -> list[str]:
        """Return the paths of every copy of a document's text (itself included)."""
        return self.engine.copies(doc.content_hash)

    def matches(self, doc: Document, query: str, aliases: bool = True) -> Marks:
        """Return the query's matches in a document's title and text (none for a query that does not parse)."""
        try:
            tree = parse(query).tree
        except BadQuery:
            return Marks()
        return self.engine.marked(doc, self.aliases.expand(tree) if aliases else tree)

    def stats(self) -> dict:
        """Return document counts, sources, index size and the last ingest's summary."""
        stats = self.engine.stats()
        stats["index"] = str(self.index.resolve())
        try:
            stats["last_ingest"] = json.loads((self.index / LAST_INGEST).read_text())
        except (OSError, ValueError):
            stats["last_ingest"] = None
        return stats

    # -- research workflows (issue 12): concordance, run ids, citations, saved searches ---------

    def tree(self, query: str, aliases: bool = True, filters: Filters = NO_FILTERS) -> Node:
        """Return the query tree the engine runs for a query (aliases expanded, filters ANDed); raise `BadQuery`."""
        if filters:
            return self.with_marks(compose(query, filters, self.aliases if aliases else NO_ALIASES).tree)
        tree = parse(query).tree
        return self.with_marks(self.aliases.expand(tree) if aliases else tree)

    def occurrences(self, query: str, *, sort: str = "relevance", aliases: bool = True,
                    filters: Filters = NO_FILTERS) -> Iterator[tuple[Document, list[Span]]]:
        """Yield every distinct result with the spans the highlighter marks in its text."""
        _check_sort(sort)
        yield from self.engine.occurrences(self.tree(query, aliases, filters), sort)

    def listing(self, query: str, *, sort: str = "relevance", aliases: bool = True) -> list[tuple[str, str]]:
        """Return (id, run id) of every distinct result, in the order of the sort."""
        _check_sort(sort)
        return self.engine.listing(self.tree(query, aliases), sort)

    def texts_digest(self, query: str, *, aliases: bool = True) -> tuple[str, int]:
        """Return the digest of the distinct texts a query matches (documents.texts_digest), and their number."""
        return self.engine.texts_digest(self.tree(query, aliases))

    def new_since(self, query: str, run_id: str, *, aliases: bool = True) -> list[Document]:
        """Return the documents matching a query that runs after `run_id` added or changed."""
        return self.engine.new_since(self.tree(query, aliases), run_id)

    def matching(self, query: str, docs: list[Document], *, aliases: bool = True) -> set[str]:
        """Return the ids of the given documents (tombstones, outside the index) that a query matches."""
        return self.engine.matching(self.tree(query, aliases), docs)

    # -- a researcher's marks: tag:NAME, has:note, the tags facet (archive/marks/) ---------

    def marks(self, readonly: bool = True) -> MarkStore:
        """Open the tags and notes of this archive (the file beside the index)."""
        return MarkStore(self.index, readonly=readonly)

    def with_marks(self, tree: Node) -> Node:
        """Return the tree with its `tag:` and `has:` clauses replaced by the texts of the marked documents."""
        if not marks_search.uses_marks(tree):
            return tree
        with self.marks() as marks:
            return marks_search.resolve(tree, marks, self._hash_lookup())

    def _hash_lookup(self) -> Callable[[str], str | None]:
        """Return a look-up of a document's current text hash, remembered until the index changes.

        Marks name documents; searches by mark need their texts' hashes, and reading a stored
        document for each marked one on every search would cost more than the search.
        """
        stamp = self.engine.stamp()
        if self._hashes[0] != stamp:
            self._hashes = (stamp, {})
        known = self._hashes[1]

        def hash_of(doc_id: str) -> str | None:
            if doc_id not in known:
                doc = self.engine.get(doc_id)
                known[doc_id] = doc.content_hash if doc is not None else None
            return known[doc_id]

        return hash_of

    def _tag_facet(self, tree: Node) -> dict[str, int]:
        """Return how many results carry each tag (the most used tags; {} when nothing is tagged)."""
        if not marks_path(self.index).is_file():
            return {}
        with self.marks() as marks:
            return marks_search.tag_facet(tree, marks, self._hash_lookup(), self.engine.text_hashes)

    def runs(self) -> list[Run]:
        """Return the ingest runs of this index, oldest first."""
        with RunLog(self.index, readonly=True) as log:
            return log.runs()

    def last_run(self) -> Run | None:
        """Return the last finished ingest run, or None."""
        with RunLog(self.index, readonly=True) as log:
            return log.last()

    def tombstones(self, after: str = "") -> list[Tombstone]:
        """Return the tombstones of documents deleted by runs after `after`."""
        with RunLog(self.index, readonly=True) as log:
            return log.tombstones(after)

    def close(self) -> None:
        """Release open searchers."""
        self.engine.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_sort(sort: str) -> None:
    """Raise `BadQuery` for a sort the engines do not know."""
    if sort not in SORTS:
        raise BadQuery(f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}")
