"""Related documents in the Whoosh index: key terms, "more like this", and story labels.

Key terms come from Whoosh's query expansion (`classify.Expander`, the Bo1 model) over the stemmed
`body` field: the words of a document that are frequent in it and rare in the index. "More like
this" searches those words, weighted, and collapses identical texts (DESIGN.md §6). Story labels
(archive/clusters.py) are the sortable `story` field; documents indexed before the field existed
have none and count as their own story (their content hash).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import query as wq
from whoosh.classify import Bo1Model, Expander
from whoosh.fields import ID
from whoosh.searching import Searcher

from archive.engine.common import NUMTERMS, Related  # noqa: F401 - Related is imported from here too
from archive.engine.whoosh.analysis import STOP_WORDS, readable
from archive.engine.whoosh.columns import column
from archive.engine.whoosh.compile import Compiler
from archive.engine.whoosh.results import CHECK_EVERY
from archive.engine.whoosh.searchers import open_index
from archive.query.tree import Node

logger = logging.getLogger(__name__)
# Key terms come from a text's opening this long: a 30 MB report costs what a long article does.
KEY_TERMS_CHARS = 200_000


def ensure_story_field(path: Path) -> bool:
    """Add the `story` field to an index made before it existed; return True if it was added."""
    ix = open_index(path)
    try:
        if "story" in ix.schema.names():
            return False
        with ix.writer(timeout=0) as w:
            w.add_field("story", ID(stored=True, sortable=True))
        logger.warning("added the story field to %s: run `archive ingest --full` to cluster older documents", path)
        return True
    finally:
        ix.close()


def key_terms(s: Searcher, text: str, numterms: int = NUMTERMS) -> list[tuple[str, float]]:
    """Return the (stemmed term, weight) pairs that best tell this text from the rest of the index."""
    if not text.strip():
        return []
    expander = Expander(s.reader(), "body", model=Bo1Model)
    expander.add_text(text)
    # The body keeps stop words (DESIGN.md §3); in a small index Bo1 can rank "the" as a key term.
    terms = [(t, float(w)) for t, w in expander.expanded_terms(numterms * 2, normalize=True) if t not in STOP_WORDS]
    return terms[:numterms]


def story_keys(s: Searcher) -> list:
    """Return each document's story key: one per text, its smallest story label among its live
    copies (copies can be labelled apart: a text without words is labelled by each copy's id),
    or its content hash when none of them has a label (as `accel.Table.story_codes` codes them)."""
    hashes = column(s, "content_hash")
    if "story" not in s.schema.names():
        return hashes
    stories = column(s, "story")
    reader = s.reader()
    dead = reader.has_deletions()
    best: dict[str, tuple[int, str]] = {}
    for d, (st, h) in enumerate(zip(stories, hashes)):
        if dead and reader.is_deleted(d):
            continue
        key = (0, st) if st else (1, h)
        if h not in best or key < best[h]:
            best[h] = key
    return [best[h][1] if h in best else (st or h) for st, h in zip(stories, hashes)]


def _versions(s: Searcher, story: str) -> int:
    """Return the number of distinct texts with this story label."""
    hashes = column(s, "content_hash")
    docnums = list(s.document_numbers(story=story)) if "story" in s.schema.names() else []
    return len({hashes[d] for d in docnums}) or 1


def _related(s: Searcher, docnum: int, score: float) -> Related:
    f = s.stored_fields(docnum)
    story = f.get("story") or f.get("content_hash", "")
    copies = sum(1 for _ in s.document_numbers(content_hash=f.get("content_hash", "")))
    return Related(id=f["id"], title=f.get("title", ""), source=f.get("source_name", ""), date=f.get("date", ""),
                   path=f.get("path", ""), score=round(score, 4), story=story,
                   versions=_versions(s, story), copies=max(1, copies))


def more_like(s: Searcher, doc_id: str, limit: int,
              exclude_story: bool = False) -> tuple[list[str], list[Related]] | None:
    """Return a document's key terms and its most similar documents, its own copies left out.

    With `exclude_story` the other versions of its story are left out too (shown apart), and each
    other story appears once. Returns None when no document has this id.
    """
    docnum = s.document_number(id=doc_id)
    if docnum is None:
        return None
    f = s.stored_fields(docnum)
    text = f.get("title", "") + "\n\n" + f.get("text", "")[:KEY_TERMS_CHARS]
    terms = key_terms(s, text)
    words = readable(text, [t for t, _ in terms])
    if not terms or limit <= 0:
        return words, []
    q = wq.Or([wq.Term("body", t, boost=w) for t, w in terms])
    group = "story" if exclude_story and f.get("story") else "content_hash"
    # The document's own group collapses to one result, dropped here: Whoosh's `mask` together
    # with `collapse` lets collapsed duplicates through, so neither is masked in the search.
    results = s.search(q, limit=limit + 1, collapse=group, collapse_limit=1)
    own = f.get(group)
    out = [_related(s, hit.docnum, hit.score or 0.0) for hit in results if hit.get(group) != own]
    return words, out[:limit]


def story_versions(s: Searcher, story: str) -> list[Related]:
    """Return one document per distinct text of a story, oldest first (the label may be a hash)."""
    docnums = list(s.document_numbers(story=story)) if "story" in s.schema.names() else []
    docnums = docnums or list(s.document_numbers(content_hash=story))
    seen: dict[str, Related] = {}
    for d in docnums:
        h = s.stored_fields(d).get("content_hash", "")
        if h not in seen:
            seen[h] = _related(s, d, 0.0)
    return sorted(seen.values(), key=lambda r: (r.date or "9999", r.title, r.id))


def stories_of(s: Searcher, doc_ids: list[str]) -> dict[str, tuple[str, int]]:
    """Return (story label, versions in it) for each of these document ids that exists."""
    out = {}
    for doc_id in doc_ids:
        f = s.document(id=doc_id)
        if f:
            story = f.get("story") or f.get("content_hash", "")
            out[doc_id] = (story, _versions(s, story) if f.get("story") else 1)
    return out


def story_tally(s: Searcher, tree: Node, fields: tuple[str, ...], deadline: float) -> tuple[int, dict, bool]:
    """Count the stories (not the texts) a query matches, in total and per facet value.

    A second pass over the matches, run only when asked for, so the default search path is
    untouched. Returns (total, facets, complete).
    """
    comp = Compiler(s.reader()).compile(tree)
    keys = story_keys(s)
    columns = {name: column(s, name) for name in fields}
    stories: set = set()
    seen: dict[str, dict[str, set]] = {name: {} for name in fields}
    complete = True
    for i, d in enumerate(s.docs_for_query(comp.query)):
        if i % CHECK_EVERY == CHECK_EVERY - 1 and time.monotonic() > deadline:
            complete = False
            break
        stories.add(keys[d])
        for name, col in columns.items():
            if col[d]:
                seen[name].setdefault(col[d], set()).add(keys[d])
    facets = {name: {_label(s, name, v): len(ks) for v, ks in sorted(vals.items(), key=lambda kv: (-len(kv[1]), kv[0]))}
              for name, vals in seen.items()}
    return len(stories), facets, complete


def _label(s: Searcher, name: str, value: str) -> str:
    """Return a facet value as it is shown (sources are indexed lower-cased)."""
    if name != "source":
        return value
    doc = s.document(source=value)
    return doc["source_name"] if doc else value


def stored_stories(s: Searcher) -> Iterator[tuple[str, str, str]]:
    """Yield (id, story label, text) of every document, to rebuild the signatures from the index."""
    for f in s.all_stored_fields():
        yield f["id"], f.get("story", ""), f.get("text", "")


def largest_stories(s: Searcher, limit: int, min_versions: int = 2) -> list[tuple[str, int]]:
    """Return (story, distinct texts) of the stories with the most versions, largest first."""
    hashes = column(s, "content_hash")
    texts: dict[str, set] = {}
    for d, key in enumerate(story_keys(s)):
        if s.reader().is_deleted(d):
            continue
        texts.setdefault(key, set()).add(hashes[d])
    sizes = [(k, len(v)) for k, v in texts.items() if len(v) >= min_versions]
    return sorted(sizes, key=lambda kv: (-kv[1], kv[0]))[:limit]
