"""The Sphinx engine: the engine interface (`archive.engine.base.Engine`) over a sharded, mirrored cluster.

Writes go to each shard's real-time index on every mirror (a document's shard is a hash of its
id); reads go through the coordinator's distributed index, which fans out to one live mirror per
shard (`store.py`). Local state (manifest, run log, vocabulary) stays in the archive's index folder.

Distinct texts (DESIGN.md §6): identical texts may sit on different shards, so every document
carries `dup` = 1 when its text has other copies in the cluster (kept up to date at each write).
A total is then the count of matching documents with `dup` = 0 plus the distinct hashes among
the (few) matching copies; facets likewise.

Story clusters (near-duplicates, archive/clusters.py) are not kept here: each distinct text is
its own story, labelled by its content hash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.documents import Document, Hit, SearchResult
from archive.engine.common import FACET_FIELDS, SUGGEST_BELOW, TIME_BUDGET, FileState, Related, Verdict
from archive.engine.spans import document_marks, make_hit
from archive.engine.sphinx import proximity, research, similar, writes
from archive.engine.sphinx.client import NodeDown
from archive.engine.sphinx.compile import Compiled
from archive.engine.sphinx.spec import ClusterSpec
from archive.engine.sphinx.store import ClusterStore
from archive.engine.sphinx.tokens import unpack
from archive.engine.suggest import Lookup, suggest_with
from archive.engine.whoosh.analysis import stemmed_words
from archive.engine.whoosh.research import matching
from archive.query.tree import Everything
from archive.query.tree import Node as Tree
from archive.spans import Marks, Span

logger = logging.getLogger(__name__)
MARKER = "engine.json"  # in the index folder: this archive's documents live in a cluster
BULK_BATCH = 2000  # documents per write of a bulk load
NO_STORY_COUNTS = "Story counts need the Whoosh engine; distinct texts are counted."


class SphinxEngine(ClusterStore):
    """Search and write one archive held by a Sphinx cluster."""

    keeps_stories = False  # each distinct text is its own story
    hashes_at_hand = False  # the distinct hashes come with the documents' texts, fetched from every shard

    @staticmethod
    def exists(path: Path) -> bool:
        """Return True when the index folder says its archive lives in a cluster."""
        return (Path(path) / MARKER).is_file()

    @classmethod
    def create(cls, path: Path, spec: ClusterSpec) -> SphinxEngine:
        """Record in the index folder that this archive lives in the cluster; check the cluster answers."""
        engine = cls(path, spec)
        engine.count()  # fails with a plain message when the coordinator is down
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / MARKER).write_text(json.dumps({"engine": "sphinx", "coordinator": spec.coordinator.address,
                                                     "shards": [[n.address for n in m] for m in spec.shards]}) + "\n")
        return engine

    # -- writing --------------------------------------------------------------------------

    def write(self, add: Iterable[Document] = (), delete: Iterable[str] = (), *, merge: bool = True) -> int:
        """Replace documents and delete ids on every mirror of their shards (`writes.write`).

        Raises `WriteFailed` naming the documents of shards where a mirror failed.
        """
        return writes.write(self, add, delete)

    @contextmanager
    def bulk(self, procs: int = 1, limitmb: int = 256) -> Iterator[Callable[[Document], None]]:
        """Yield a function that adds a document; documents are written in batches, the last at the end.

        `procs` and `limitmb` (a local index's writer) do not apply: the daemons index.
        """
        pending: list[Document] = []

        def add(doc: Document) -> None:
            pending.append(doc)
            if len(pending) >= BULK_BATCH:
                self.write(pending)
                pending.clear()

        yield add
        if pending:
            self.write(pending)

    # -- what the ingest needs ------------------------------------------------------------

    def stamp(self) -> str:
        """Return a fingerprint of every mirror's content (documents and a checksum of writes), "down" for a dead one.

        Read from each daemon, not through the coordinator: a mirror that missed writes while it
        was down gives another fingerprint, so the next ingest rebuilds its manifest from
        `states()`, which sends the files of diverging documents to be written again.
        """
        parts = []
        for i, mirrors in enumerate(self.spec.shards):
            for node in mirrors:
                try:
                    sql = f"SELECT COUNT(*) c, SUM(written) s FROM {self.spec.shard_index(i)}"
                    rows = self.client.execute(node, sql)[0]
                    parts.append(f"{rows[0][0]}/{rows[0][1]}" if rows else "0/0")
                except NodeDown:
                    parts.append("down")
        return "sphinx:" + ",".join(parts)

    def states(self) -> dict[str, FileState]:
        """Return the state of every document's file, by document id, as every live mirror holds it.

        A document that its shard's mirrors disagree on (missing on one, another version on
        another) gets size -1, so its file looks changed: the ingest writes it to every mirror
        again, or deletes it everywhere when the file is gone.
        """
        out: dict[str, FileState] = {}
        columns = "doc_id, collection, file_relpath, size, mtime_ns, content_hash, pipeline, written"
        for i, mirrors in enumerate(self.spec.shards):
            seen: list[dict[str, tuple]] = []
            for node in mirrors:
                try:
                    seen.append({r[1]: r for r in self.walk_node(node, self.spec.shard_index(i), columns)})
                except NodeDown:
                    logger.warning("shard %d mirror %s is down: its documents are not compared", i, node.address)
            for doc_id in set().union(*seen) if seen else ():
                versions = [m.get(doc_id) for m in seen]
                r = next(v for v in versions if v is not None)
                agree = all(v is not None and v[1:] == r[1:] for v in versions)
                out[doc_id] = FileState(r[1], r[2], r[3], int(r[4]) if agree else -1, int(r[5]), r[6], r[7])
        return out

    def stats(self) -> dict:
        """Return document count, documents per source, language, year and month, and the data size."""
        comp = self.compile(Everything())
        _, facets, _ = self.count_texts(comp.match, FACET_FIELDS, [])
        return {"documents": self.count(), "sources": facets["source"], "languages": facets["lang"],
                "years": facets["year"], "months": facets["month"], "index_bytes": self.data_bytes()}

    def verify(self, thorough: bool = False) -> Verdict:
        """Return an empty verdict: the daemons keep their own indexes (`archive cluster status` checks them)."""
        return Verdict(damage=[])

    # -- searching ------------------------------------------------------------------------

    def search(self, tree: Tree, *, query: str = "", interpreted: str = "", limit: int = 10,
               offset: int = 0, sort: str = "relevance", facets: bool = True,
               snippet_count: int = 3, time_budget: float = TIME_BUDGET,
               suggest_from: Tree | None = None, cite: bool = False,
               literal: Tree | None = None, count: str = "texts") -> SearchResult:
        """Run a query tree: exact total of distinct texts, facets, one page of hits (see `base.Engine.search`).

        `literal` does not change the ranking here; `count="stories"` counts distinct texts (each
        is its own story) and says so.
        """
        comp = self.compile(tree)
        warnings: list[str] = []
        total, counts, dups = self.count_texts(comp.match, FACET_FIELDS if facets else (), warnings)
        hits: list[Hit] = []
        checked = proximity.has_proximity(tree) and 0 < total
        if checked and total > proximity.MOST:
            comp.notes.append(f"Proximity was counted by the cluster's unordered span: {total:,} candidates are "
                              "too many to check the word order of each, so the total may include texts with the "
                              "words in another order.")
            checked = False
            exact = False
        else:
            exact = True
        if checked:
            total, counts, page = proximity.checked(self, tree, comp, sort, dups, total, facets, warnings)
            hits = [self._hit(doc, score, comp, snippet_count) for doc, score in page[offset:offset + limit]]
        elif limit and total:
            hits = [self._hit(doc, score, comp, snippet_count)
                    for doc, score in self.ranked(comp.match, offset, limit, sort, dups, warnings)]
        suggestion = None
        if suggest_from is not None and total < SUGGEST_BELOW and not warnings:
            suggestion = suggest_with(self._lookup(), suggest_from, query)
        notes = list(comp.notes)
        down = self.down_shards(warnings)
        if down:
            n = len(self.spec.shards)
            names = ", ".join(f"shard {i} ({', '.join(m.address for m in self.spec.shards[i])})" for i in down)
            notes.append(f"{n - len(down)} of {n} shards answered: the total and the results leave out "
                         f"the documents of {names}, which did not answer.")
        if count == "stories":
            notes.append(NO_STORY_COUNTS)
        return SearchResult(query=query, interpreted=interpreted, total=total, total_exact=not down and exact,
                            partial=comp.partial or bool(down), offset=offset, limit=limit, hits=hits,
                            facets=counts, suggestion=suggestion, messages=notes)

    def _hit(self, doc: Document, score: float, comp: Compiled, count: int) -> Hit:
        """Return the Hit of a document; only texts with copies need a lookup of their paths."""
        paths = self.copies(doc.content_hash) if doc.meta.pop("_copies", 1) and doc.content_hash else [doc.path]
        f = {"id": doc.id, "title": doc.title, "text": doc.text, "source_name": doc.source or doc.collection,
             "collection": doc.collection, "date": doc.date, "url": doc.url, "path": doc.path, "lang": doc.language,
             "relpath": doc.relpath}
        return make_hit(f, score, paths or [doc.path], comp, count)

    def export(self, tree: Tree, *, sort: str = "relevance", literal: Tree | None = None) -> Iterator[Hit]:
        """Yield every distinct hit, best first (or by date), with one snippet (`literal` does not change the order)."""
        comp, ranked = proximity.ranked_documents(self, tree, sort)
        for doc, score in ranked:
            yield self._hit(doc, score, comp, 1)

    def marked(self, doc: Document, tree: Tree) -> Marks:
        """Return every match of the query in the document's title and text, as spans."""
        comp = self.compile(tree)
        return document_marks(doc, comp)

    # -- related documents and stories (similar.py) ---------------------------------------

    def similar(self, doc_id: str, limit: int, exclude_story: bool = False) -> tuple[list[str], list[Related]] | None:
        """Return a document's key terms and the documents most like it (not its copies), or None.

        Each distinct text is its own story, so `exclude_story` leaves out only the copies, as always.
        """
        return similar.more_like(self, doc_id, limit)

    def story(self, story_id: str) -> list[Related]:
        """Return the one text of a story (a content hash here), or [] when no document has it."""
        return similar.story_versions(self, story_id)

    def largest_stories(self, limit: int, min_versions: int = 2) -> list[tuple[str, int]]:
        """Return no stories: each text is its own story here, one version each."""
        return []

    def stories_of(self, doc_ids: list[str]) -> dict[str, tuple[str, int]]:
        """Return (content hash, 1) for each of these documents: each text is its own story."""
        return similar.stories_of(self, doc_ids)

    def prepare_stories(self) -> None:
        """Do nothing: story labels are content hashes here, and need no field of their own."""

    def stored_stories(self) -> Iterator[tuple[str, str, str]]:
        """Yield (id, content hash, text) of every document: each text is its own story."""
        for row in self.walk("doc"):
            doc = unpack(row[1])
            yield doc.id, doc.content_hash, doc.text

    # -- the meaning model -----------------------------------------------------------------

    def documents(self) -> Iterator[Document]:
        """Yield every stored document once."""
        for row in self.walk("doc"):
            yield unpack(row[1])

    def text_hashes(self, tree: Tree) -> set[str]:
        """Return the content hashes of the texts a tree matches."""
        return research.text_hashes(self, tree)

    # -- research workflows (research.py) ---------------------------------------------------

    def occurrences(self, tree: Tree, sort: str = "relevance") -> Iterator[tuple[Document, list[Span]]]:
        """Yield every distinct result with the spans the highlighter marks in its text."""
        return research.occurrences(self, tree, sort)

    def listing(self, tree: Tree, sort: str = "relevance") -> list[tuple[str, str]]:
        """Return (id, run id) of every distinct result, in the order of the sort."""
        return research.listing(self, tree, sort)

    def texts_digest(self, tree: Tree) -> tuple[str, int]:
        """Return the digest of the distinct texts a tree matches (documents.texts_digest), and their number."""
        return research.texts(self, tree)

    def new_since(self, tree: Tree, run_id: str) -> list[Document]:
        """Return the documents matching a tree that runs after `run_id` added or changed."""
        return research.new_since(self, tree, run_id)

    def matching(self, tree: Tree, docs: Iterable[Document]) -> set[str]:
        """Return the ids of the given documents (outside the index) that a tree matches."""
        return matching(tree, docs)

    def close(self) -> None:
        """Close this thread's connections."""
        self.client.close()

    # -- helpers --------------------------------------------------------------------------

    def _lookup(self) -> Lookup:
        """Return the word lookups did-you-mean needs, from the vocabulary and the cluster's counts."""
        def df(word: str) -> int:
            return self.frequencies([word]).get(word, 0)

        def stem_df(word: str) -> int:
            stems = stemmed_words(word)
            return self.frequencies([stems[0]], stemmed=True).get(stems[0], 0) if len(stems) == 1 else 0

        def near(word: str, distance: int) -> set[str]:
            return set(self.frequencies(self.vocabulary.near(word, distance, keep_first=True)))

        def near_any(word: str, distance: int) -> set[str]:
            return set(self.frequencies(self.vocabulary.near(word, distance, keep_first=False)))

        return Lookup(df, stem_df, near, near_any)
