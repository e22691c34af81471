"""The Sphinx engine: the Whoosh engine's methods, over a sharded and mirrored Sphinx cluster.

Writes go to each shard's real-time index on every mirror (a document's shard is a hash of its
id); reads go through the coordinator's distributed index, which fans out to one live mirror per
shard. Local state (manifest, run log, vocabulary) stays in the archive's index folder.

Distinct texts (DESIGN.md §6): identical texts may sit on different shards, so every document
carries `dup` = 1 when its text has other copies in the cluster (kept up to date at each write).
A total is then the count of matching documents with `dup` = 0 plus the distinct hashes among
the (few) matching copies; facets likewise.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from archive.documents import Document, Hit, SearchResult
from archive.engine.whoosh.analysis import stemmed_words
from archive.engine.regex import WordPattern
from archive.engine.whoosh.research import matching
from archive.engine.spans import find_spans, make_hit
from archive.engine.sphinx import proximity, writes
from archive.engine.sphinx.writes import _chunks
from archive.engine.sphinx.client import Client, NodeDown
from archive.engine.sphinx.compile import Compiled, Compiler
from archive.engine.sphinx.spec import ClusterSpec, Node
from archive.engine.sphinx.tokens import encode, hash_token, sphinx_id, stem_word, unpack
from archive.engine.sphinx.vocabulary import Vocabulary
from archive.engine.suggest import Lookup, suggest_with
from archive.engine.common import FACET_FIELDS, SUGGEST_BELOW, TIME_BUDGET, FileState
from archive.errors import ArchiveError
from archive.highlight import MAX_MARKS, mark
from archive.query.tree import Everything
from archive.query.tree import Node as Tree

logger = logging.getLogger(__name__)
MARKER = "engine.json"  # in the index folder: this archive's documents live in a cluster
FACET_ROWS = 5000
PAGE = 2000  # rows per statement when walking every document
# Sphinx's BM25 ranker, titles counting twice (as the Whoosh schema's field boost). Its bm25a/bm25f
# factors need per-field lengths and, on small shards, saturate; plain bm25 does not.
OPTIONS = "ranker=bm25, field_weights=(title=2, title_stem=2)"


class SphinxEngine:
    """Search and write one archive held by a Sphinx cluster."""

    kind = "sphinx"

    def __init__(self, path: Path, spec: ClusterSpec):
        self.path, self.spec = Path(path), spec
        self.client = Client()
        self.vocabulary = Vocabulary(self.path)

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
                    rows = self.client.execute(node, f"SELECT COUNT(*) c, SUM(written) s FROM {self.spec.shard_index(i)}")[0]
                    parts.append(f"{rows[0][0]}/{rows[0][1]}" if rows else "0/0")
                except NodeDown:
                    parts.append("down")
        return "sphinx:" + ",".join(parts)

    def count(self) -> int:
        """Return the number of documents in the cluster."""
        rows = self.read(f"SELECT COUNT(*) c FROM {self.spec.distributed}")[0]
        return int(rows[0][0]) if rows else 0

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
                    seen.append({r[1]: r for r in self._walk_node(node, self.spec.shard_index(i), columns)})
                except NodeDown:
                    logger.warning("shard %d mirror %s is down: its documents are not compared", i, node.address)
            for doc_id in set().union(*seen) if seen else ():
                versions = [m.get(doc_id) for m in seen]
                r = next(v for v in versions if v is not None)
                agree = all(v is not None and v[1:] == r[1:] for v in versions)
                out[doc_id] = FileState(r[1], r[2], r[3], int(r[4]) if agree else -1, int(r[5]), r[6], r[7])
        return out

    def _walk_node(self, node: Node, index: str, columns: str) -> Iterator[tuple]:
        """Yield (sphinx id, columns...) of every document of one daemon's index, in id order."""
        last = 0
        while True:
            rows = self.client.execute(node, f"SELECT id, {columns} FROM {index} WHERE id > {last} "
                                             f"ORDER BY id ASC LIMIT {PAGE} OPTION max_matches={PAGE}")[0]
            yield from rows
            if len(rows) < PAGE:
                return
            last = int(rows[-1][0])

    def get(self, doc_id: str) -> Document | None:
        """Return the stored document with this id, or None."""
        rows = self.read(f"SELECT doc FROM {self.spec.distributed} WHERE id = {sphinx_id(doc_id)}")[0]
        return unpack(rows[0][0]) if rows else None

    def copies(self, content_hash: str) -> list[str]:
        """Return the paths of every document whose cleaned text has this hash."""
        rows = self.read(f"SELECT doc FROM {self.spec.distributed} WHERE MATCH(%s) LIMIT 1000 OPTION max_matches=1000",
                          [f"@keys {hash_token(content_hash)}"])[0]
        return sorted(unpack(r[0]).path for r in rows)

    def stats(self) -> dict:
        """Return document count, documents per source, language, year and month, and the data size."""
        comp = self.compile(Everything())
        _, facets, _ = self._count(comp.match, FACET_FIELDS, [])
        return {"documents": self.count(), "sources": facets["source"], "languages": facets["lang"],
                "years": facets["year"], "months": facets["month"], "index_bytes": self.data_bytes()}

    def data_bytes(self) -> int:
        """Return the size of the shards' indexes (disk and RAM chunks), from each shard's first mirror."""
        size = 0
        for i, mirrors in enumerate(self.spec.shards):
            try:
                status = dict(self.client.execute(mirrors[0], f"SHOW INDEX {self.spec.shard_index(i)} STATUS")[0])
            except NodeDown:
                continue
            size += int(status.get("disk_bytes", 0)) + int(status.get("ram_bytes", 0))
        return size

    # -- searching ------------------------------------------------------------------------

    def compile(self, tree: Tree) -> Compiled:
        """Compile a query tree against the cluster's words."""
        return Compiler(self._expand, self._regex).compile(tree)

    def search(self, tree: Tree, *, query: str = "", interpreted: str = "", limit: int = 10,
               offset: int = 0, sort: str = "relevance", facets: bool = True,
               snippet_count: int = 3, time_budget: float = TIME_BUDGET,
               suggest_from: Tree | None = None, cite: bool = False,
               literal: Tree | None = None) -> SearchResult:
        """Run a query tree: exact total of distinct texts, facets, one page of hits (see WhooshEngine.search)."""
        comp = self.compile(tree)
        warnings: list[str] = []
        total, counts, dups = self._count(comp.match, FACET_FIELDS if facets else (), warnings)
        hits: list[Hit] = []
        checked = proximity.has_proximity(tree) and 0 < total
        if checked and total > proximity.MOST:
            comp.notes.append(f"Proximity was counted by the cluster's unordered span: {total:,} candidates are too many "
                              "to check the word order of each, so the total may include texts with the words in "
                              "another order.")
            checked = False
            exact = False
        else:
            exact = True
        if checked:
            total, counts, page = proximity.checked(self, tree, comp, sort, dups, total, facets, warnings)
            hits = [self._hit(doc, score, comp, snippet_count) for doc, score in page[offset:offset + limit]]
        elif limit and total:
            hits = [self._hit(doc, score, comp, snippet_count)
                    for doc, score in self._ranked(comp.match, offset, limit, sort, dups, warnings)]
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
        return SearchResult(query=query, interpreted=interpreted, total=total, total_exact=not down and exact,
                            partial=comp.partial or bool(down), offset=offset, limit=limit, hits=hits,
                            facets=counts, suggestion=suggestion, messages=notes)

    def _count(self, match: str, fields: Iterable[str], warnings: list[str]) -> tuple[int, dict, int]:
        """Return (distinct texts, facet counts, matching documents that have copies)."""
        fields = tuple(fields)
        counts: dict[str, Counter] = {f: Counter() for f in fields}
        labels: dict[str, str] = {}
        if not match:
            return 0, {f: {} for f in fields}, 0
        rows = self.read(f"SELECT dup, COUNT(*) c FROM {self.spec.distributed} WHERE MATCH(%s) GROUP BY dup "
                          f"OPTION {OPTIONS}", [match], warnings)[0]
        by_dup = {int(r[0]): int(r[1]) for r in rows}
        total, dups = by_dup.get(0, 0), by_dup.get(1, 0)
        for f in fields:
            extra = ", source_name" if f == "source" else ""
            for r in self.read(f"SELECT {f}, COUNT(*) c{extra} FROM {self.spec.distributed} WHERE MATCH(%s) "
                                f"AND dup = 0 GROUP BY {f} ORDER BY c DESC LIMIT {FACET_ROWS} "
                                f"OPTION max_matches={FACET_ROWS}, {OPTIONS}", [match], warnings)[0]:
                if r[0]:
                    counts[f][r[0]] += int(r[1])
                    if extra:
                        labels.setdefault(r[0], r[2])
        if dups:
            rows = self.read(f"SELECT content_hash, source, source_name, year, lang, month FROM {self.spec.distributed} "
                              f"WHERE MATCH(%s) AND dup = 1 LIMIT {dups} OPTION max_matches={dups}, {OPTIONS}",
                              [match], warnings)[0]
            total += len({r[0] for r in rows})
            column = {"source": 1, "year": 3, "lang": 4, "month": 5}
            for f in fields:
                for value, _ in {(r[column[f]], r[0]) for r in rows if r[column[f]]}:
                    counts[f][value] += 1
            labels.update({r[1]: r[2] for r in rows})
        facets = {}
        for f in fields:
            named = {labels.get(v, v) if f == "source" else v: c for v, c in counts[f].items()}
            facets[f] = dict(sorted(named.items(), key=lambda kv: (-kv[1], kv[0])))
        return total, facets, dups

    def _ranked(self, match: str, offset: int, limit: int | None, sort: str, dups: int,
                warnings: list[str], total: int = 0) -> Iterator[tuple[Document, float]]:
        """Yield the documents and scores of one page of distinct texts (all: `limit` None), best first or by date.

        Sphinx keeps `max_matches` rows per query in memory: a page asks for what it shows; a
        walk over every result (`limit` None) for the number of distinct texts, `total`.
        """
        order = {"newest": "day DESC", "oldest": "day ASC"}.get(sort, "w DESC")
        group = f"GROUP BY content_hash WITHIN GROUP ORDER BY {order} " if dups else ""
        want = offset + limit if limit is not None else total
        cap = max(1000, want)
        # A page brings its documents along (one round trip less); a walk over every result
        # fetches them in batches, so memory holds one batch of texts.
        stored = ", doc, dup" if limit is not None else ""
        rows = self.read(f"SELECT id, WEIGHT() w{stored} FROM {self.spec.distributed} WHERE MATCH(%s) {group}"
                          f"ORDER BY {order}, id ASC LIMIT {offset}, {max(want - offset, 1)} "
                          f"OPTION max_matches={cap}, {OPTIONS}", [match], warnings)[0]
        if stored:
            for r in rows:
                yield _with_copies(unpack(r[2]), int(r[3])), float(r[1])
            return
        for doc, score in self._fetch([(int(r[0]), r[1]) for r in rows]):
            yield doc, float(score)

    def _fetch(self, ranked: list[tuple[int, float]]) -> Iterator[tuple[Document, float]]:
        """Yield the stored documents of (sphinx id, score) pairs, in their order; `_copies` marks texts with copies."""
        for part in _chunks(ranked, 200):
            ids = ",".join(str(i) for i, _ in part)
            rows = self.read(f"SELECT id, doc, dup FROM {self.spec.distributed} WHERE id IN ({ids}) "
                              f"LIMIT {len(part)} OPTION max_matches={max(len(part), 1)}")[0]
            docs = {int(r[0]): (r[1], int(r[2])) for r in rows}
            for sid, score in part:
                if sid in docs:
                    yield _with_copies(unpack(docs[sid][0]), docs[sid][1]), score

    def _hit(self, doc: Document, score: float, comp: Compiled, count: int) -> Hit:
        """Return the Hit of a document; only texts with copies need a lookup of their paths."""
        paths = self.copies(doc.content_hash) if doc.meta.pop("_copies", 1) and doc.content_hash else [doc.path]
        f = {"id": doc.id, "title": doc.title, "text": doc.text, "source_name": doc.source or doc.collection,
             "collection": doc.collection, "date": doc.date, "url": doc.url, "path": doc.path, "lang": doc.language,
             "relpath": doc.relpath}
        return make_hit(f, score, paths or [doc.path], comp, count)

    def export(self, tree: Tree, *, sort: str = "relevance") -> Iterator[Hit]:
        """Yield every distinct hit, best first (or by date), with one snippet."""
        comp = self.compile(tree)
        for doc, score in self._every(comp, sort, tree):
            yield self._hit(doc, score, comp, 1)

    def ranked_documents(self, tree: Tree, sort: str = "relevance") -> tuple[Compiled, Iterator[tuple[Document, float]]]:
        """Return the compiled tree and every distinct result's (document, score), in the order of the sort."""
        comp = self.compile(tree)
        return comp, self._every(comp, sort, tree)

    def _every(self, comp: Compiled, sort: str, tree: Tree | None = None) -> Iterator[tuple[Document, float]]:
        if not comp.match:
            return
        total, _, dups = self._count(comp.match, (), [])
        if not total:
            return
        ranked = self._ranked(comp.match, 0, None, sort, dups, [], total)
        if tree is None or not proximity.has_proximity(tree):
            yield from ranked
            return
        for part in _chunks(list(ranked), 500):  # proximity: the candidates' word order checked (see _checked)
            keep = matching(tree, [doc for doc, _ in part])
            yield from ((doc, score) for doc, score in part if doc.id in keep)

    def marked(self, doc: Document, tree: Tree) -> tuple[str, str, int]:
        """Return the document's title and text as HTML with every match marked, and the count."""
        comp = self.compile(tree)
        body_spans = find_spans(doc.text, comp.body_plan, MAX_MARKS)
        title_spans = find_spans(doc.title, comp.title_plan)
        return mark(doc.title, title_spans), mark(doc.text, body_spans), len(body_spans) + len(title_spans)

    def close(self) -> None:
        """Close this thread's connections."""
        self.client.close()

    # -- helpers --------------------------------------------------------------------------

    def read(self, sql: str, args: list | None = None, warnings: list[str] | None = None) -> tuple[list, list[str]]:
        """Run a read on the coordinator; a dead coordinator is fatal.

        When an agent fails, Sphinx 2.2 answers without that shard and does not try its mirror
        (it says so only in a warning), so the statement runs again: the coordinator picks
        another mirror. Warnings of the last attempt (shards with no mirror up) are collected.
        """
        attempts = 1 + 2 * max(len(m) for m in self.spec.shards)
        for _ in range(attempts):
            try:
                rows, notes = self.client.execute(self.spec.coordinator, sql, args, warnings=True)
            except NodeDown as exc:
                if self.down_shards([exc.reason]):  # no agent answered: an error, not a warning
                    rows, notes = [], exc.reason.splitlines()
                    if len(self.down_shards(notes)) < len(self.spec.shards) or any(len(m) > 1 for m in self.spec.shards):
                        continue
                    break
                raise ArchiveError(f"The cluster's coordinator at {self.spec.coordinator.address} does not answer "
                                   f"({exc.reason}). Start it with: archive cluster start") from exc
            down = self.down_shards(notes)
            if not down or all(len(self.spec.shards[i]) == 1 for i in down):
                break
        if notes:
            logger.warning("coordinator: %s", "; ".join(notes))
            if warnings is not None:
                warnings.extend(notes)
        return rows, notes

    def down_shards(self, warnings: list[str]) -> list[int]:
        """Return the shards whose agent a coordinator's warnings name (they did not answer)."""
        text = "\n".join(warnings)
        return [i for i, mirrors in enumerate(self.spec.shards)
                if any(f"{n.host}:{n.api_port}" in text for n in mirrors)]

    def _expand(self, word: str, distance: int, prefix: bool) -> dict[str, int]:
        """Return {word: documents} of the cluster's words a prefix or fuzzy term stands for."""
        if prefix:
            candidates = self.vocabulary.starting(word)
        elif distance:
            candidates = self.vocabulary.near(word, distance, keep_first=len(word) > 3)
        else:
            candidates = [word]
        return self._frequencies(candidates)

    def _regex(self, pattern: WordPattern) -> dict[str, int]:
        """Return {word: documents} of the cluster's words a regular expression matches in full."""
        words = sorted(w for w in self.vocabulary.starting(pattern.prefix) if "'" not in w)
        return self._frequencies(pattern.among(words))

    def _lookup(self) -> Lookup:
        """Return the word lookups did-you-mean needs, from the vocabulary and the cluster's counts."""
        def df(word: str) -> int:
            return self._frequencies([word]).get(word, 0)

        def stem_df(word: str) -> int:
            stems = stemmed_words(word)
            return self._frequencies([stems[0]], stemmed=True).get(stems[0], 0) if len(stems) == 1 else 0

        def near(word: str, distance: int) -> set[str]:
            return set(self._frequencies(self.vocabulary.near(word, distance, keep_first=True)))

        def near_any(word: str, distance: int) -> set[str]:
            return set(self._frequencies(self.vocabulary.near(word, distance, keep_first=False)))

        return Lookup(df, stem_df, near, near_any)

    def _frequencies(self, words: list[str], stemmed: bool = False) -> dict[str, int]:
        """Return the number of documents of each word (summed over shards; 0-count words left out)."""
        found: Counter = Counter()
        encoded = {(stem_word(w) if stemmed else encode(w)): w for w in words}
        for i, mirrors in enumerate(self.spec.shards):
            for node in mirrors:
                try:
                    for part in _chunks(sorted(encoded), 1000):
                        rows = self.client.execute(node, "CALL KEYWORDS(%s, %s, 1)",
                                                   [" ".join(part), self.spec.shard_index(i)])[0]
                        for r in rows:
                            if r[1] in encoded and int(r[3]):
                                found[encoded[r[1]]] += int(r[3])
                    break
                except NodeDown:
                    continue
        return dict(found)


def _with_copies(doc: Document, dup: int) -> Document:
    """Mark a fetched document whose text has copies (its hit then lists their paths)."""
    doc.meta["_copies"] = dup
    return doc
