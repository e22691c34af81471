"""The research workflows' engine side (archive/engine/whoosh/research.py) on a cluster: every result in order."""

from __future__ import annotations

from collections.abc import Iterator

from archive.documents import Document, texts_digest
from archive.engine.spans import find_spans
from archive.engine.sphinx.proximity import ranked_documents
from archive.engine.sphinx.store import ClusterStore
from archive.highlight import MAX_MARKS
from archive.query.tree import Node as Tree
from archive.spans import Span


def occurrences(store: ClusterStore, tree: Tree, sort: str = "relevance") -> Iterator[tuple[Document, list[Span]]]:
    """Yield each distinct result with the spans of its body matches."""
    comp, docs = ranked_documents(store, tree, sort)
    for doc, _ in docs:
        yield doc, find_spans(doc.text, comp.body_plan, MAX_MARKS)


def listing(store: ClusterStore, tree: Tree, sort: str = "relevance") -> list[tuple[str, str]]:
    """Return (id, run id) of every distinct result, in the order of the sort."""
    return [(doc.id, doc.run_id) for doc, _ in ranked_documents(store, tree, sort)[1]]


def texts(store: ClusterStore, tree: Tree) -> tuple[str, int]:
    """Return the digest of the distinct texts the tree matches (documents.texts_digest), and their number."""
    hashes = sorted(text_hashes(store, tree))
    return texts_digest(hashes), len(hashes)


def text_hashes(store: ClusterStore, tree: Tree) -> set[str]:
    """Return the content hashes of the texts the tree matches."""
    return {doc.content_hash for doc, _ in ranked_documents(store, tree, "relevance")[1]}


def new_since(store: ClusterStore, tree: Tree, run_id: str) -> list[Document]:
    """Return the distinct documents matching the tree that a run after `run_id` added or changed."""
    found: dict[str, Document] = {}
    for doc, _ in ranked_documents(store, tree, "relevance")[1]:
        if doc.run_id > run_id:
            found.setdefault(doc.content_hash, doc)
    return sorted(found.values(), key=lambda d: (d.run_id, d.date, d.id), reverse=True)
