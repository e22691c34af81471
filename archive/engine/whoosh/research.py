"""Engine side of the research workflows: every result with its match spans, run ids, old documents.

The concordance reads the same spans as the highlighter (`find_spans` over the compiled query's
plan), one document at a time, so an export of every occurrence holds one text in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator

from whoosh.filedb.filestore import RamStorage
from whoosh.searching import Searcher

from archive.documents import Document
from archive.engine.spans import find_spans
from archive.engine.whoosh import accel
from archive.engine.whoosh.columns import column
from archive.engine.whoosh.compile import Compiler
from archive.engine.whoosh.results import ranked
from archive.engine.whoosh.schema import build_schema
from archive.engine.whoosh.stored import to_document, to_fields
from archive.highlight import MAX_MARKS
from archive.query.tree import Node
from archive.spans import Span


def occurrences(s: Searcher, tree: Node, sort: str = "relevance") -> Iterator[tuple[Document, list[Span]]]:
    """Yield each distinct result (best first, or by date) with the spans of its body matches."""
    comp = Compiler(s.reader()).compile(tree)
    top, _ = ranked(s, comp, None, sort, float("inf"))
    for docnum, _score in top:
        doc = to_document(s.stored_fields(docnum))
        yield doc, find_spans(doc.text, comp.body_plan, MAX_MARKS)


def listing(s: Searcher, tree: Node, sort: str = "relevance") -> list[tuple[str, str]]:
    """Return (id, run id) of every distinct result, in the order of the sort."""
    comp = Compiler(s.reader()).compile(tree)
    top, _ = ranked(s, comp, None, sort, float("inf"))
    runs = _runs(s)
    ids = [s.stored_fields(d)["id"] for d, _ in top]
    return [(i, runs[d] if runs else "") for i, (d, _) in zip(ids, top)]


def texts(s: Searcher, tree: Node) -> tuple[str, int]:
    """Return the digest of the distinct texts the tree matches (documents.texts_digest), and their number."""
    comp = Compiler(s.reader()).compile(tree)
    return accel.texts_digest(accel.table(s), accel.matching(s, comp.query, float("inf")))


def new_since(s: Searcher, tree: Node, run_id: str) -> list[Document]:
    """Return the distinct documents matching the tree that a run after `run_id` added or changed."""
    comp = Compiler(s.reader()).compile(tree)
    runs = _runs(s)
    if not runs:
        return []
    hash_of = column(s, "content_hash")
    found: dict[str, int] = {}
    for d in s.docs_for_query(comp.query):
        if runs[d] > run_id:
            found.setdefault(hash_of[d], d)
    docs = [to_document(s.stored_fields(d)) for d in found.values()]
    return sorted(docs, key=lambda doc: (doc.run_id, doc.date, doc.id), reverse=True)


def matching(tree: Node, docs: Iterable[Document]) -> set[str]:
    """Return the ids of the documents (not in the index: tombstones) that the tree matches."""
    docs = list(docs)
    if not docs:
        return set()
    # Whoosh's writer sorts postings in a temporary folder named after the index (under the system's
    # temp folder): a name of its own keeps two processes matching at once out of each other's files.
    ix = RamStorage().create_index(build_schema(), indexname=f"matching-{uuid.uuid4().hex}")
    try:
        with ix.writer() as w:
            for doc in docs:
                w.add_document(**to_fields(doc))
        with ix.searcher() as s:
            comp = Compiler(s.reader()).compile(tree)
            return {s.stored_fields(d)["id"] for d in s.docs_for_query(comp.query)}
    finally:
        ix.close()


def _runs(s: Searcher) -> list:
    """Return the run id of every document number ([] for an index made before run ids)."""
    if "run_id" not in s.schema:
        return []
    return [v or "" for v in column(s, "run_id")]
