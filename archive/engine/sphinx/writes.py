"""Writes to a cluster: each document to every mirror of its shard, then the copy flags of its text.

A mirror that does not answer fails its shard's part of the batch (`WriteFailed` names the
documents); the other shards' writes stand, and the next ingest writes the failed ones again.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable

from archive.documents import Document
from archive.engine.sphinx import conf
from archive.engine.sphinx.client import NodeDown
from archive.engine.sphinx.store import PAGE, ClusterStore, chunks
from archive.engine.sphinx.tokens import hash_token, row, sphinx_id
from archive.engine.whoosh.analysis import exact_words
from archive.errors import WriteFailed

logger = logging.getLogger(__name__)
COLUMNS = ("id",) + conf.FIELDS + conf.STRING_ATTRS + conf.BIGINT_ATTRS + conf.UINT_ATTRS


def write(store: ClusterStore, add: Iterable[Document] = (), delete: Iterable[str] = ()) -> int:
    """Replace documents and delete ids on every mirror of their shards; then fix `dup` flags.

    Raises `WriteFailed` naming the documents of shards where a mirror failed (the other
    shards' writes stand; the failed ones are retried by the next run).
    """
    docs = list(add)
    gone = list(delete)
    hashes = {d.content_hash for d in docs} | _hashes_of(store, gone)
    written = random.getrandbits(31)
    rows: dict[int, list[dict]] = {}
    failed: dict[str, str] = {}
    for doc in docs:
        try:
            rows.setdefault(store.spec.shard_of(doc.id), []).append(row(doc, written))
        except ValueError as exc:
            failed[doc.id] = str(exc)
    dels: dict[int, list[str]] = {}
    for doc_id in gone:
        dels.setdefault(store.spec.shard_of(doc_id), []).append(doc_id)
    for shard in sorted(set(rows) | set(dels)):
        reason = _write_shard(store, shard, rows.get(shard, []), dels.get(shard, []))
        if reason:
            failed.update({r["doc_id"]: reason for r in rows.get(shard, [])})
            failed.update({i: reason for i in dels.get(shard, [])})
    store.vocabulary.add(w for d in docs if d.id not in failed for w in exact_words(d.title + "\n" + d.text))
    _mark_copies(store, hashes)
    if failed:
        raise WriteFailed(failed)
    return len(docs)

def _write_shard(store: ClusterStore, shard: int, rows: list[dict], deletes: list[str]) -> str:
    """Write to every mirror of a shard; return "" or why some mirror failed."""
    problems = []
    index = store.spec.shard_index(shard)
    for node in store.spec.shards[shard]:
        try:
            if deletes:
                ids = ",".join(str(sphinx_id(i)) for i in deletes)
                store.client.execute(node, f"DELETE FROM {index} WHERE id IN ({ids})")
            for start in range(0, len(rows), 100):
                batch = rows[start:start + 100]
                marks = "(" + ",".join(["%s"] * len(COLUMNS)) + ")"
                sql = f"REPLACE INTO {index} ({','.join(COLUMNS)}) VALUES " + ",".join([marks] * len(batch))
                store.client.execute(node, sql, [r[c] for r in batch for c in COLUMNS])
        except NodeDown as exc:
            problems.append(f"shard {shard} mirror {node.address} is down ({exc.reason})")
    return "; ".join(problems)

def _hashes_of(store: ClusterStore, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        part = ",".join(str(sphinx_id(i)) for i in ids[start:start + 500])
        rows = store.read(f"SELECT content_hash FROM {store.spec.distributed} WHERE id IN ({part}) "
                          f"LIMIT {PAGE} OPTION max_matches={PAGE}")[0]
        found.update(r[0] for r in rows)
    return found

def _mark_copies(store: ClusterStore, hashes: set[str]) -> None:
    """Set `dup` on every document of these texts: 1 when the text has copies, else 0."""
    hashes = {h for h in hashes if h}
    for chunk in chunks(sorted(hashes), 200):
        match = "@keys " + "(" + " | ".join(hash_token(h) for h in chunk) + ")"
        rows = store.read(f"SELECT id, content_hash, dup FROM {store.spec.distributed} WHERE MATCH(%s) "
                          f"LIMIT 100000 OPTION max_matches=100000", [match])[0]
        per = Counter(r[1] for r in rows)
        change: dict[int, list[int]] = {0: [], 1: []}
        for sid, h, dup in rows:
            want = int(per[h] > 1)
            if int(dup) != want:
                change[want].append(int(sid))
        for value, ids in change.items():
            for shard, mirrors in enumerate(store.spec.shards):
                for node in mirrors:
                    for part in chunks(ids, 1000):
                        try:
                            store.client.execute(node, f"UPDATE {store.spec.shard_index(shard)} SET dup={value} "
                                                     f"WHERE id IN ({','.join(map(str, part))})")
                        except NodeDown as exc:
                            logger.warning("could not update copy flags on %s: %s", node.address, exc.reason)
