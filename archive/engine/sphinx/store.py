"""Where one archive's documents live in a cluster: the coordinator's reads, each shard's mirrors.

`ClusterStore` holds what every part of the Sphinx engine reads through: the cluster's nodes
(`spec`), the connections (`client`), the words written so far (`vocabulary`), and the
SphinxQL statements that count, rank and fetch documents. The engine (`engine.py`) builds on
it; writes, proximity checks, research and related documents take it as an argument.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from archive.documents import Document
from archive.engine.regex import WordPattern
from archive.engine.sphinx.client import Client, NodeDown
from archive.engine.sphinx.compile import Compiled, Compiler
from archive.engine.sphinx.spec import ClusterSpec, Node
from archive.engine.sphinx.tokens import encode, hash_token, sphinx_id, stem_word, unpack
from archive.engine.sphinx.vocabulary import Vocabulary
from archive.errors import ArchiveError
from archive.query.tree import Node as Tree

logger = logging.getLogger(__name__)
FACET_ROWS = 5000
PAGE = 2000  # rows per statement when walking every document
# Sphinx's BM25 ranker, titles counting twice (as the Whoosh schema's field boost). Its bm25a/bm25f
# factors need per-field lengths and, on small shards, saturate; plain bm25 does not.
OPTIONS = "ranker=bm25, field_weights=(title=2, title_stem=2)"
T = TypeVar("T")


class ClusterStore:
    """Read one archive's documents from a Sphinx cluster, and reach each shard's mirrors."""

    def __init__(self, path: Path, spec: ClusterSpec):
        self.path, self.spec = Path(path), spec
        self.client = Client()
        self.vocabulary = Vocabulary(self.path)

    def count(self) -> int:
        """Return the number of documents in the cluster."""
        rows = self.read(f"SELECT COUNT(*) c FROM {self.spec.distributed}")[0]
        return int(rows[0][0]) if rows else 0

    def get(self, doc_id: str) -> Document | None:
        """Return the stored document with this id, or None."""
        rows = self.read(f"SELECT doc FROM {self.spec.distributed} WHERE id = {sphinx_id(doc_id)}")[0]
        return unpack(rows[0][0]) if rows else None

    def copies(self, content_hash: str) -> list[str]:
        """Return the paths of every document whose cleaned text has this hash."""
        rows = self.read(f"SELECT doc FROM {self.spec.distributed} WHERE MATCH(%s) LIMIT 1000 OPTION max_matches=1000",
                          [f"@keys {hash_token(content_hash)}"])[0]
        return sorted(unpack(r[0]).path for r in rows)

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

    def compile(self, tree: Tree) -> Compiled:
        """Compile a query tree against the cluster's words."""
        return Compiler(self._expand, self._regex).compile(tree)

    def count_texts(self, match: str, fields: Iterable[str], warnings: list[str]) -> tuple[int, dict, int]:
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
            rows = self.read(f"SELECT content_hash, source, source_name, year, lang, month "
                              f"FROM {self.spec.distributed} "
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

    def ranked(self, match: str, offset: int, limit: int | None, sort: str, dups: int,
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
        for doc, score in self.fetch([(int(r[0]), r[1]) for r in rows]):
            yield doc, float(score)

    def fetch(self, ranked: list[tuple[int, float]]) -> Iterator[tuple[Document, float]]:
        """Yield the stored documents of (sphinx id, score) pairs, in their order; `_copies` marks texts with copies."""
        for part in chunks(ranked, 200):
            ids = ",".join(str(i) for i, _ in part)
            rows = self.read(f"SELECT id, doc, dup FROM {self.spec.distributed} WHERE id IN ({ids}) "
                              f"LIMIT {len(part)} OPTION max_matches={max(len(part), 1)}")[0]
            docs = {int(r[0]): (r[1], int(r[2])) for r in rows}
            for sid, score in part:
                if sid in docs:
                    yield _with_copies(unpack(docs[sid][0]), docs[sid][1]), score

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
                    if (len(self.down_shards(notes)) < len(self.spec.shards)
                            or any(len(m) > 1 for m in self.spec.shards)):
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
        return self.frequencies(candidates)

    def _regex(self, pattern: WordPattern) -> dict[str, int]:
        """Return {word: documents} of the cluster's words a regular expression matches in full."""
        words = sorted(w for w in self.vocabulary.starting(pattern.prefix) if "'" not in w)
        return self.frequencies(pattern.among(words))

    def frequencies(self, words: list[str], stemmed: bool = False) -> dict[str, int]:
        """Return the number of documents of each word (summed over shards; 0-count words left out)."""
        found: Counter = Counter()
        encoded = {(stem_word(w) if stemmed else encode(w)): w for w in words}
        for i, mirrors in enumerate(self.spec.shards):
            for node in mirrors:
                try:
                    for part in chunks(sorted(encoded), 1000):
                        rows = self.client.execute(node, "CALL KEYWORDS(%s, %s, 1)",
                                                   [" ".join(part), self.spec.shard_index(i)])[0]
                        for r in rows:
                            if r[1] in encoded and int(r[3]):
                                found[encoded[r[1]]] += int(r[3])
                    break
                except NodeDown:
                    continue
        return dict(found)

    def walk_node(self, node: Node, index: str, columns: str) -> Iterator[tuple]:
        """Yield (sphinx id, columns...) of every document of one daemon's index, in id order."""
        return _pages(lambda sql: self.client.execute(node, sql)[0], index, columns)

    def walk(self, columns: str) -> Iterator[tuple]:
        """Yield (sphinx id, columns...) of every document, in id order, through the coordinator."""
        return _pages(lambda sql: self.read(sql)[0], self.spec.distributed, columns)


def _with_copies(doc: Document, dup: int) -> Document:
    """Mark a fetched document whose text has copies (its hit then lists their paths)."""
    doc.meta["_copies"] = dup
    return doc


def _pages(run: Callable[[str], list], index: str, columns: str) -> Iterator[tuple]:
    """Yield (sphinx id, columns...) of every document of an index, in id order, a page per statement."""
    last = 0
    while True:
        rows = run(f"SELECT id, {columns} FROM {index} WHERE id > {last} "
                   f"ORDER BY id ASC LIMIT {PAGE} OPTION max_matches={PAGE}")
        yield from rows
        if len(rows) < PAGE:
            return
        last = int(rows[-1][0])


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
