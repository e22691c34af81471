"""Related documents on a cluster: "more like this" from key terms, and stories as identical texts.

Story clusters (near-duplicates, archive/clusters.py) are built in Whoosh columns; a cluster
archive has none, so each distinct text is its own story there. "More like this" picks the
document's key terms by tf-idf (document frequencies from the engine's dictionary) and searches
for any of them, ranked by BM25, one result per distinct text, its own text left out.
"""

from __future__ import annotations

import math
from collections import Counter

from archive.documents import Document
from archive.engine.common import NUMTERMS, Related
from archive.engine.sphinx.store import OPTIONS, ClusterStore
from archive.engine.sphinx.tokens import hash_token, sphinx_id, stem_word, unpack
from archive.engine.whoosh.analysis import STOP_WORDS, readable, token_spans


def more_like(store: ClusterStore, doc_id: str, limit: int) -> tuple[list[str], list[Related]] | None:
    """Return a document's key terms and the documents most like it (not its copies), or None."""
    doc = store.get(doc_id)
    if doc is None:
        return None
    text = doc.title + "\n\n" + doc.text
    tf = Counter(t for t, _, _ in token_spans(text, stemmed=True) if t not in STOP_WORDS and len(t) > 1)
    if not tf or limit <= 0:
        return [], []
    df = store.frequencies(list(tf), stemmed=True)
    n = max(store.count(), 1)
    weight = {t: c * math.log(1 + n / (1 + df.get(t, 0))) for t, c in tf.items() if df.get(t, 0) > 1}
    terms = sorted(weight, key=lambda t: -weight[t])[:NUMTERMS]
    if not terms:
        return readable(text, []), []
    match = ('@(title_stem,body_stem) "' + " ".join(stem_word(t) for t in terms)
             + f'"/1 -@keys {hash_token(doc.content_hash)}')
    rows = store.read(f"SELECT id, WEIGHT() w FROM {store.spec.distributed} WHERE MATCH(%s) "
                      f"GROUP BY content_hash ORDER BY w DESC LIMIT {limit} OPTION {OPTIONS}", [match])[0]
    out = [_related(store, d, float(score)) for d, score in store.fetch([(int(r[0]), r[1]) for r in rows])]
    return readable(text, terms), out


def _related(store: ClusterStore, doc: Document, score: float) -> Related:
    copies = len(store.copies(doc.content_hash)) if doc.meta.pop("_copies", 0) else 1
    return Related(id=doc.id, title=doc.title, source=doc.source or doc.collection, date=doc.date, path=doc.path,
                   score=round(score, 4), story=doc.content_hash, versions=1, copies=max(1, copies))


def story_versions(store: ClusterStore, story: str) -> list[Related]:
    """Return the one text of a "story" (a content hash on a cluster), or [] when no document has it."""
    rows = store.read(f"SELECT id, doc FROM {store.spec.distributed} WHERE MATCH(%s) LIMIT 1",
                      [f"@keys {hash_token(story)}"])[0]
    if not rows:
        return []
    doc = unpack(rows[0][1])
    return [Related(id=doc.id, title=doc.title, source=doc.source or doc.collection, date=doc.date, path=doc.path,
                    score=0.0, story=story, versions=1, copies=len(store.copies(story)))]


def stories_of(store: ClusterStore, doc_ids: list[str]) -> dict[str, tuple[str, int]]:
    """Return (story label, versions) for each of these documents: its content hash, one version."""
    if not doc_ids:
        return {}
    ids = ",".join(str(sphinx_id(i)) for i in doc_ids)
    rows = store.read(f"SELECT doc_id, content_hash FROM {store.spec.distributed} WHERE id IN ({ids}) "
                      f"LIMIT {len(doc_ids)}")[0]
    return {r[0]: (r[1], 1) for r in rows}
