"""The research workflows' engine side (archive/engine/research.py) on a cluster: every result in order."""

from __future__ import annotations

from collections.abc import Iterator

from archive.documents import Document, texts_digest
from archive.engine.spans import find_spans
from archive.highlight import MAX_MARKS
from archive.engine.sphinx.engine import SphinxEngine
from archive.query.tree import Node as Tree


class SphinxResearch:
    """The research workflows' engine side (archive.engine.whoosh.research), over the cluster."""

    def __init__(self, engine: SphinxEngine):
        self.engine = engine

    def occurrences(self, tree: Tree, sort: str = "relevance") -> Iterator[tuple[Document, list[tuple[int, int]]]]:
        """Yield each distinct result with the spans of its body matches."""
        comp, docs = self.engine.ranked_documents(tree, sort)
        for doc, _ in docs:
            yield doc, find_spans(doc.text, comp.body_plan, MAX_MARKS)

    def listing(self, tree: Tree, sort: str = "relevance") -> list[tuple[str, str]]:
        """Return (id, run id) of every distinct result, in the order of the sort."""
        return [(doc.id, doc.run_id) for doc, _ in self.engine.ranked_documents(tree, sort)[1]]

    def texts(self, tree: Tree) -> tuple[str, int]:
        """Return the digest of the distinct texts the tree matches (documents.texts_digest), and their number."""
        hashes = sorted({doc.content_hash for doc, _ in self.engine.ranked_documents(tree, "relevance")[1]})
        return texts_digest(hashes), len(hashes)

    def new_since(self, tree: Tree, run_id: str) -> list[Document]:
        """Return the distinct documents matching the tree that a run after `run_id` added or changed."""
        found: dict[str, Document] = {}
        for doc, _ in self.engine.ranked_documents(tree, "relevance")[1]:
            if doc.run_id > run_id:
                found.setdefault(doc.content_hash, doc)
        return sorted(found.values(), key=lambda d: (d.run_id, d.date, d.id), reverse=True)
