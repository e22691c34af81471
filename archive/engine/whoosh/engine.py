"""The Whoosh engine: the one place that reads and writes a Whoosh index (`archive.engine.base.Engine`).

It speaks the archive's own types (query tree in; `Document`, `Hit`, `SearchResult` out), so a
distributed engine can replace it behind the same methods.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index
from whoosh.index import LockError
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from archive.documents import Document, Hit, SearchResult
from archive.engine.common import FACET_FIELDS, SUGGEST_BELOW, TIME_BUDGET, FileState, Related, Verdict
from archive.engine.spans import document_marks
from archive.engine.whoosh import accel, arrays, research, similar
from archive.engine.whoosh.compile import Compiler
from archive.engine.whoosh.results import best, count_stories, facet_counts, make_hits
from archive.engine.whoosh.results import count as count_texts
from archive.engine.whoosh.schema import build_schema
from archive.engine.whoosh.searchers import SearcherManager, open_index, retry_read
from archive.engine.whoosh.stored import to_document, to_fields
from archive.engine.whoosh.suggest import suggest
from archive.engine.whoosh.verify import has_index, verify_index
from archive.engine.whoosh.vocab import vocabulary
from archive.engine.whoosh.writer import BuildWriter, LengthsWriter
from archive.errors import IndexLocked
from archive.query.tree import Node
from archive.spans import Marks, Span

logger = logging.getLogger(__name__)

class WhooshEngine:
    """Search and write one Whoosh index folder."""

    keeps_stories = True  # story labels live in the index's `story` column (archive/clusters.py)
    hashes_at_hand = True  # the content hashes are a column of the column table (accel.py)

    def __init__(self, path: Path, warm: bool = False):
        """Open the engine; with `warm` (a server), each generation is warmed as soon as it is opened."""
        self.path = Path(path)
        self.searchers = SearcherManager(self.path, warm=_warm if warm else None)
        if warm:
            self.searchers.open()

    # -- creating and writing -------------------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        """Return True when a Whoosh index is in the folder."""
        return has_index(Path(path))

    @classmethod
    def create(cls, path: Path) -> WhooshEngine:
        """Create an empty index in the folder (which may exist) and return an engine on it."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        index.create_in(str(path), build_schema()).close()
        return cls(path)

    def write(self, add: Iterable[Document] = (), delete: Iterable[str] = (), *, merge: bool = True) -> int:
        """Delete documents by id and add (or replace) documents, in one commit.

        Returns the number of documents added. The commit is atomic: a crash leaves the index at
        its previous commit. Raises `IndexLocked` when another writer holds the lock. With
        `merge=False` the commit adds a segment without merging small ones: an ingest merges
        once, at its last commit, instead of at every batch.
        """
        ix = open_index(self.path)
        try:
            added = 0
            with _writer(ix, self.path, merge=merge) as writer:
                for doc_id in delete:
                    writer.delete_by_term("id", doc_id)
                for doc in add:
                    writer.update_document(**to_fields(doc))
                    added += 1
            return added
        finally:
            ix.close()

    @contextmanager
    def bulk(self, procs: int = 1, limitmb: int = 256) -> Iterator[Callable[[Document], None]]:
        """Yield a function that adds a document to a fresh index; everything commits at the end.

        For full builds into a new folder only: one commit, and with `procs` > 1 Whoosh's
        multiprocess writer, which can drop documents silently (DESIGN.md §2), so callers check
        `count()` before swapping the folder in.
        """
        ix = open_index(self.path)
        try:
            kwargs: dict = {"limitmb": limitmb}
            if procs > 1:
                kwargs.update(procs=procs, multisegment=True)
                _die_with_parent_after_fork()
            with _writer(ix, self.path, **kwargs) as writer:
                yield lambda doc: writer.add_document(**to_fields(doc))
        finally:
            ix.close()

    def stamp(self) -> str:
        """Return an identifier of the last commit: its generation and its table of contents' mtime.

        A commit landing between reading the generation and reading its table of contents removes
        the old one: the stamp is then read again, of the new commit.
        """
        return retry_read(self._read_stamp, self.path)

    def _read_stamp(self) -> str:
        ix = open_index(self.path)
        try:
            gen = ix.latest_generation()
            toc = self.path / f"_{ix.indexname}_{gen}.toc"
            return f"{gen}:{toc.stat().st_mtime_ns}"
        finally:
            ix.close()

    def count(self) -> int:
        """Return the number of documents in the last commit."""
        ix = open_index(self.path)
        try:
            return int(ix.doc_count())
        finally:
            ix.close()

    def verify(self, thorough: bool = False) -> Verdict:
        """Check the index's table of contents and segments for damage (`whoosh/verify.py`)."""
        return verify_index(self.path, thorough)

    # -- reading --------------------------------------------------------------------------

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """Yield the current searcher (shared between threads; do not close it)."""
        with self.searchers.acquire() as s:
            yield s

    def get(self, doc_id: str) -> Document | None:
        """Return the stored document with this id, or None."""
        with self.searcher() as s:
            fields = s.document(id=doc_id)
        return to_document(fields) if fields else None

    def copies(self, content_hash: str) -> list[str]:
        """Return the paths of every document whose cleaned text has this hash."""
        with self.searcher() as s:
            return sorted(f["path"] for f in s.documents(content_hash=content_hash))

    def states(self) -> dict[str, FileState]:
        """Return the state of every indexed file, by document id."""
        out = {}
        with self.searcher() as s:
            for f in s.all_stored_fields():
                relpath = f.get("source_relpath") or f["relpath"]  # the file's, for every part of it
                out[f["id"]] = FileState(f["id"], f["collection"], relpath, f.get("size", 0),
                                         f.get("mtime_ns", 0), f.get("content_hash", ""), f.get("pipeline", ""))
        return out

    def stats(self) -> dict:
        """Return document count, documents per source and language, and the index's size."""
        with self.searcher() as s:
            docs = s.doc_count()
            facets = facet_counts(s, s.reader().all_doc_ids(), FACET_FIELDS)
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return {"documents": docs, "sources": facets["source"], "languages": facets["lang"],
                "years": facets["year"], "months": facets["month"], "index_bytes": size}

    # -- searching ------------------------------------------------------------------------

    def search(self, tree: Node, *, query: str = "", interpreted: str = "", limit: int = 10,
               offset: int = 0, sort: str = "relevance", facets: bool = True,
               snippet_count: int = 3, time_budget: float = TIME_BUDGET,
               suggest_from: Node | None = None, cite: bool = False,
               literal: Node | None = None, count: str = "texts") -> SearchResult:
        """Run a query tree: exact total of distinct texts, facets, and one page of hits.

        The walk over the matches stops after `time_budget` seconds (the result is then partial
        and its total a lower bound). `suggest_from` is the tree as the user wrote it (before
        aliases): when few documents match, its rare words are checked for typos. With `cite`
        the result carries the digest of the texts matched, taken from the matches just counted
        (no second pass; none when they were not counted in bulk). `literal` is the tree before
        aliases: by relevance, the texts it matches rank above those only an alias finds.
        `count="stories"` then counts story clusters (near-duplicates once) in the total and
        facets (from the matches counted in bulk, or in a second, unscored pass with a time budget
        of its own), and the hits are one per story: its best-ranked version.
        """
        with self.searcher() as s:
            # The column table is read once per index generation (14 s at a million documents):
            # not this query's time, or the first search of a process (every command-line search)
            # ran out of time before it began and gave a partial total.
            t = accel.table(s)
            if count == "stories":
                t.story_codes(s)  # read once per index generation, as the table is
            deadline = time.monotonic() + time_budget
            comp = Compiler(s.reader()).compile(tree)
            fields = FACET_FIELDS if facets else ()
            hits: list[Hit] = []
            late: list[str] = []  # hits shown without marked snippets: the time ran out
            counted = count_texts(s, comp, fields, deadline)
            complete = counted.complete
            digest: tuple[str | None, int] = (None, 0)
            if cite and counted.docs is not None and counted.complete:
                digest = accel.texts_digest(accel.table(s), counted.docs)
            if limit and counted.total:
                first = _literal_docs(s, literal, deadline) if sort == "relevance" else None
                key = t.story_codes(s) if count == "stories" else None  # one hit per story
                top, complete = best(s, comp, offset + limit, sort, deadline, counted.memo, first, counted.docs, key)
                complete = complete and counted.complete
                hits = list(make_hits(s, comp, top[offset:], snippet_count, deadline, late))
            suggestion = None
            if suggest_from is not None and counted.total < SUGGEST_BELOW:
                suggestion = suggest(s.reader(), suggest_from, query)
            stories = None  # (total, facets) of stories, from the matches just counted in bulk
            if count == "stories" and counted.docs is not None:
                stories = count_stories(s, counted.docs, fields)
        notes = list(comp.notes)
        if late:
            notes.append(f"The time ran out before {len(late)} of the hits were marked: they show their opening lines.")
        if not complete:
            notes.append(f"The search stopped after {time_budget:g} s: at least {counted.total:,} documents match, "
                         "and the ranking may miss some. Narrow the query for an exact count.")
        result = SearchResult(query=query, interpreted=interpreted, total=counted.total, total_exact=counted.complete,
                              partial=comp.partial or not complete or bool(late), offset=offset, limit=limit, hits=hits,
                              facets=counted.facets, suggestion=suggestion, messages=notes,
                              texts_digest=digest[0], texts_count=digest[1])
        if stories is not None:
            result.total = stories[0]
            if facets:
                result.facets = stories[1]
        elif count == "stories":
            self._count_stories(result, tree, facets, time_budget)
        return result

    def _count_stories(self, result: SearchResult, tree: Node, facets: bool, time_budget: float) -> None:
        """Replace a result's total and facet counts with counts of stories (a second, unscored pass)."""
        with self.searcher() as s:
            total, counts, complete = similar.story_tally(s, tree, FACET_FIELDS if facets else (),
                                                          time.monotonic() + time_budget)
        result.total, result.total_exact = total, result.total_exact and complete
        result.partial = result.partial or not complete
        if facets:
            result.facets = counts

    def export(self, tree: Node, *, sort: str = "relevance", literal: Node | None = None) -> Iterator[Hit]:
        """Yield every distinct hit, best first (or by date, as `search` orders them), with one snippet.

        Memory holds one (document number, score) pair per result, never their texts.
        """
        with self.searcher() as s:
            comp = Compiler(s.reader()).compile(tree)
            first = _literal_docs(s, literal, float("inf")) if sort == "relevance" else None
            top, _ = best(s, comp, None, sort, float("inf"), first=first)  # no deadline: an export is complete
            yield from make_hits(s, comp, top, 1)

    def marked(self, doc: Document, tree: Node) -> Marks:
        """Return every match of the query in the document's title and text, as spans."""
        with self.searcher() as s:
            comp = Compiler(s.reader()).compile(tree)
        return document_marks(doc, comp)

    # -- related documents and stories (whoosh/similar.py) --------------------------------

    def similar(self, doc_id: str, limit: int, exclude_story: bool = False) -> tuple[list[str], list[Related]] | None:
        """Return a document's key terms and the documents most like it (not its copies), or None."""
        with self.searcher() as s:
            return similar.more_like(s, doc_id, limit, exclude_story)

    def story(self, story_id: str) -> list[Related]:
        """Return one document per distinct text of a story cluster, oldest first ([] if unknown)."""
        with self.searcher() as s:
            return similar.story_versions(s, story_id)

    def largest_stories(self, limit: int, min_versions: int = 2) -> list[tuple[str, int]]:
        """Return (story id, number of versions) of the largest story clusters."""
        with self.searcher() as s:
            return similar.largest_stories(s, limit, min_versions)

    def stories_of(self, doc_ids: list[str]) -> dict[str, tuple[str, int]]:
        """Return (story id, number of versions) for each of these documents."""
        with self.searcher() as s:
            return similar.stories_of(s, doc_ids)

    def prepare_stories(self) -> None:
        """Add the `story` field to an index made before it existed (a commit of its own)."""
        similar.ensure_story_field(self.path)

    def stored_stories(self) -> Iterator[tuple[str, str, str]]:
        """Yield (id, story label, text) of every document, to rebuild the story signatures."""
        with self.searcher() as s:
            yield from similar.stored_stories(s)

    # -- the meaning model -----------------------------------------------------------------

    def documents(self) -> Iterator[Document]:
        """Yield every stored document once."""
        with self.searcher() as s:
            for f in s.all_stored_fields():
                yield to_document(f)

    def text_hashes(self, tree: Node) -> set[str]:
        """Return the content hashes of the texts a tree matches."""
        with self.searcher() as s:
            t = accel.table(s)
            docs = accel.matching(s, Compiler(s.reader()).compile(tree).query, float("inf"))
            codes: np.ndarray = np.unique(t.hash[docs]) if len(docs) else np.zeros(0, dtype=np.int64)
            return {t.hash_values[c] for c in codes if c >= 0}

    # -- research workflows (whoosh/research.py) ------------------------------------------

    def occurrences(self, tree: Node, sort: str = "relevance") -> Iterator[tuple[Document, list[Span]]]:
        """Yield every distinct result with the spans the highlighter marks in its text."""
        with self.searcher() as s:
            yield from research.occurrences(s, tree, sort)

    def listing(self, tree: Node, sort: str = "relevance") -> list[tuple[str, str]]:
        """Return (id, run id) of every distinct result, in the order of the sort."""
        with self.searcher() as s:
            return research.listing(s, tree, sort)

    def texts_digest(self, tree: Node) -> tuple[str, int]:
        """Return the digest of the distinct texts a tree matches (documents.texts_digest), and their number."""
        with self.searcher() as s:
            return research.texts(s, tree)

    def new_since(self, tree: Node, run_id: str) -> list[Document]:
        """Return the documents matching a tree that runs after `run_id` added or changed."""
        with self.searcher() as s:
            return research.new_since(s, tree, run_id)

    def matching(self, tree: Node, docs: Iterable[Document]) -> set[str]:
        """Return the ids of the given documents (outside the index) that a tree matches."""
        return research.matching(tree, docs)

    def close(self) -> None:
        """Close open searchers."""
        self.searchers.close()


def _literal_docs(s: Searcher, literal: Node | None, deadline: float) -> np.ndarray | None:
    """Return the documents the query as written (before aliases) matches, or None (no aliases, no time)."""
    if literal is None:
        return None
    try:
        return accel.matching(s, Compiler(s.reader()).compile(literal).query, deadline)
    except accel.OutOfTime:
        return None


def _warm(s: Searcher) -> None:
    """Read what the first search of a generation would: segment arrays, column table, vocabularies."""
    folder = arrays.folder_of(s)
    for sub, _ in s.leaf_searchers():
        arrays.for_reader(folder, sub.reader())
    accel.table(s)
    for name in ("body_exact", "title_exact"):  # prefix and fuzzy terms expand from these
        if name in s.schema:
            vocabulary(s.reader(), name)


@contextmanager
def _writer(ix: index.Index, path: Path, merge: bool = True, **kwargs: Any) -> Iterator:
    """Open a writer without waiting (`IndexLocked` if taken); commit it, or cancel it on any error.

    `kwargs` are Whoosh's writer options (`procs`, `limitmb`, `multisegment`).

    A writer that is neither committed nor cancelled keeps Whoosh's lock (DESIGN.md §2).
    """
    try:
        # One process: Whoosh's writer with field lengths read in bulk at commit (whoosh/writer.py).
        writer = (BuildWriter if kwargs.get("procs", 1) > 1 else LengthsWriter)(ix, timeout=0, **kwargs)
    except LockError as exc:
        raise IndexLocked(f"Another process is writing to the index at {path}") from exc
    try:
        for name, field in build_schema().items():
            if name not in writer.schema:  # an index made by an older version gains the new fields
                writer.add_field(name, field)
        yield writer
    except BaseException:
        writer.cancel()
        remove_uncommitted(path)
        raise
    try:
        writer.commit(merge=merge)
    except BaseException:  # the disk filled up while the segment was written: it never committed
        _cancel_quietly(writer)
        remove_uncommitted(path)
        raise
    try:
        arrays.write_all(ix)  # beside the new segments; searches fall back to Whoosh without them
    except Exception:  # noqa: BLE001 - the commit stands; the arrays only make searches faster
        logger.exception("could not write the posting arrays of %s", path)


def remove_uncommitted(path: Path) -> None:
    """Remove segment files that the last commit does not name (left by a write that failed).

    Call with the write lock released and the ingest lock held. A disk that filled up while a
    segment was written keeps its partial files otherwise, and with them the full disk.
    """
    path = Path(path)
    try:
        ix = open_index(path)
        try:
            kept = {seg.segment_id() for seg in ix._segments()}  # noqa: SLF001 - no public list
            name = ix.indexname
        finally:
            ix.close()
    except Exception:  # noqa: BLE001 - an unreadable index is for `archive check`, not for cleanup
        logger.debug("could not read %s to remove uncommitted files", path, exc_info=True)
        return
    for f in path.glob(f"{name}_*"):
        segment = f.name.split(".", 1)[0]
        if f.is_file() and segment not in kept and f.name != f"{name}_WRITELOCK":
            try:
                f.unlink()
                logger.info("removed %s, written by a commit that failed", f)
            except OSError:
                logger.debug("could not remove %s", f, exc_info=True)


def _cancel_quietly(writer: IndexWriter) -> None:
    """Release a writer whose commit failed (Whoosh may find it half closed)."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001
        logger.debug("cancelling a failed writer", exc_info=True)



_PR_SET_PDEATHSIG = 1
_fork_hook_installed = False


def _die_with_parent_after_fork() -> None:
    """Make forked children (Whoosh's indexing workers) die with the process that forked them.

    Otherwise a `kill -9` of a `--full` build leaves the workers blocked forever, holding the
    ingest lock they inherited, and every later run exits 75.
    """
    global _fork_hook_installed
    if _fork_hook_installed or not hasattr(os, "register_at_fork"):
        return
    parent = os.getpid()

    def in_child() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # not Linux: nothing to do
            return
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    os.register_at_fork(after_in_child=in_child)
    _fork_hook_installed = True
