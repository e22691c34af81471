"""Proximity on a cluster: Sphinx's answer checked with the archive's ordered matcher.

The archive's `"a b"~N` allows N words between each word and the next, in order. Sphinx 2.2 has
no ordered proximity; its span operator accepts the words in any order, so its matches are a
superset. A proximity query's candidate texts are matched again in memory with the Whoosh
engine's semantics (`archive.engine.whoosh.research.matching`), up to `MOST` candidates; every
result of an export or a research workflow is checked the same way, a batch at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from archive.documents import Document
from archive.engine.common import FACET_FIELDS
from archive.engine.sphinx.compile import Compiled
from archive.engine.sphinx.store import ClusterStore, chunks
from archive.engine.whoosh.analysis import exact_words
from archive.engine.whoosh.research import matching
from archive.query.tree import And, Near, Or, Phrase, positive_leaves
from archive.query.tree import Node as Tree
from archive.query.words import plain

MOST = 20_000  # candidate texts checked at most; above, the total is Sphinx's (and not exact)


def has_proximity(node: object) -> bool:
    """Return True when the cluster's answer needs checking: a proximity (`"a b"~N`, `a w/N b`,
    `a pre/N b`) or a quoted possessive (`"Blair's"`: the cluster holds it as the plain word) can
    make a document match."""
    return _has_near(node) or any(isinstance(leaf, Phrase) and ((leaf.slop and len(exact_words(leaf.text)) > 1)
                                             or any(plain(w) for w in exact_words(leaf.text)))
               for leaf in positive_leaves(node))


def _has_near(node: object) -> bool:
    if isinstance(node, Near):
        return True
    if isinstance(node, (And, Or)):
        return any(_has_near(c) for c in node.children)
    return False


def checked(store: ClusterStore, tree: Tree, comp: Compiled, sort: str, dups: int, candidates: int, facets: bool,
             warnings: list[str]) -> tuple[int, dict, list[tuple[Document, float]]]:
    """Check a proximity query's candidates with the archive's own (ordered) matcher.

    Sphinx 2.2 has no ordered proximity: its answer is a superset. Every candidate text is
    matched again, in memory, with the Whoosh engine's semantics; the total, facets and
    ranking are then those of the texts that pass.
    """
    ranked = list(store.ranked(comp.match, 0, None, sort, dups, warnings, candidates))
    keep = matching(tree, [doc for doc, _ in ranked])
    kept = [(doc, score) for doc, score in ranked if doc.id in keep]
    counts: dict[str, dict[str, int]] = {}
    if facets:
        values = {"source": lambda d: d.source or d.collection, "year": lambda d: d.date[:4],
                  "lang": lambda d: (d.language or "").lower(), "month": lambda d: d.date[:7]}
        for f in FACET_FIELDS:
            c = Counter(v for v, _ in {(values[f](d), d.content_hash) for d, _ in kept} if v)
            counts[f] = dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
    return len({d.content_hash for d, _ in kept}), counts, kept


def ranked_documents(store: ClusterStore, tree: Tree,
                     sort: str = "relevance") -> tuple[Compiled, Iterator[tuple[Document, float]]]:
    """Return the compiled tree and every distinct result's (document, score), in the order of the sort."""
    comp = store.compile(tree)
    return comp, _every(store, comp, sort, tree)


def _every(store: ClusterStore, comp: Compiled, sort: str, tree: Tree) -> Iterator[tuple[Document, float]]:
    if not comp.match:
        return
    total, _, dups = store.count_texts(comp.match, (), [])
    if not total:
        return
    ranked = store.ranked(comp.match, 0, None, sort, dups, [], total)
    if not has_proximity(tree):
        yield from ranked
        return
    for part in chunks(list(ranked), 500):  # proximity: the candidates' word order checked (see `checked`)
        keep = matching(tree, [doc for doc, _ in part])
        yield from ((doc, score) for doc, score in part if doc.id in keep)
