"""Ingest into a Sphinx cluster: writes to every mirror, a mirror down fails its shard's part, the next run repairs.

A real cluster on loopback (tests/sphinx_cluster.py): 2 shards, shard 0 with two mirrors.
"""

from __future__ import annotations

import shutil

import pymysql
from needs import SAMPLES

from archive.archive import Archive
from archive.engine.sphinx.spec import ClusterSpec
from archive.ingest import ingest


def _count(node, index: str) -> int:  # type: ignore[no-untyped-def]
    conn = pymysql.connect(host=node.host, port=node.port, user="", password="", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {index}")
            return int(cur.fetchall()[0][0])
    finally:
        conn.close()


def _mirror_counts(spec: ClusterSpec) -> list[int]:
    return [_count(n, spec.shard_index(0)) for n in spec.shards[0]]


def test_ingest_writes_every_mirror_and_routes_by_id(sphinx_cluster, tmp_path):
    settings, spec = sphinx_cluster
    report = ingest([str(SAMPLES)], settings)
    assert not report.failed and report.added == 35
    a, b = _mirror_counts(spec)
    assert a == b > 0  # both mirrors of shard 0 hold the same documents
    assert a + _count(spec.shards[1][0], spec.shard_index(1)) == 35
    with Archive(settings) as archive:
        for hit in archive.search("*", limit=50).hits:
            assert spec.shard_of(hit.id) in (0, 1)
            assert archive.get(hit.id).title == hit.title


def test_incremental_update_and_delete(sphinx_cluster, tmp_path):
    settings, _ = sphinx_cluster
    corpus = tmp_path / "news"
    shutil.copytree(SAMPLES / "harbour-gazette", corpus)
    assert ingest([str(corpus)], settings).added == 7
    victim = sorted(corpus.glob("*"))[0]
    victim.unlink()
    changed = sorted(corpus.glob("*.txt"))[0]
    # A sentence added inside an article paragraph: a line added after the closing promos would be
    # cleaned away as boilerplate.
    changed.write_bytes(changed.read_bytes().replace(b". ", b". A zanzibarine postscript was added here. ", 1))
    report = ingest([str(corpus)], settings)
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 1, 1, 5)
    with Archive(settings) as archive:
        assert archive.search("zanzibarine").total == 1
        assert archive.search("*").total == 6
    assert ingest([str(corpus)], settings).unchanged == 6


def test_a_mirror_down_fails_its_shard_and_the_next_run_repairs_it(sphinx_cluster, tmp_path):
    settings, spec = sphinx_cluster
    corpus = tmp_path / "news"
    shutil.copytree(SAMPLES, corpus)
    (corpus / "late").mkdir()
    first = ingest([str(corpus)], settings)
    assert not first.failed
    for i in range(20):  # new files while one mirror of shard 0 is down
        (corpus / "late" / f"{i}.txt").write_text(
            f"Late item {i}\n\nThe harbour pilots report number {i} of tonight.\n")
    gone = corpus / "harbour-gazette"  # and deletions, some of them on shard 0
    shutil.rmtree(gone)
    sphinx_cluster.kill(shard=0, mirror=1)
    report = ingest([str(corpus)], settings)
    assert report.failed and report.exit_code == 1
    assert all("shard 0" in p.reason and "is down" in p.reason for p in report.failed)
    added = [p for p in report.failed if "/late/" in p.path]
    assert all(spec.shard_of(doc_id) == 0 for doc_id in _ids(settings, added))
    deletions = [p for p in report.failed if p.path.startswith("deleted document")]
    assert deletions and report.deleted + len(deletions) == 7
    assert len(added) + report.added == 20
    sphinx_cluster.start([spec.shards[0][1]])
    repair = ingest([str(corpus)], settings)
    # The live mirror kept them: they come back as updates, written to both mirrors.
    assert not repair.failed and repair.added + repair.updated == len(added)
    a, b = _mirror_counts(spec)
    assert a == b
    with Archive(settings) as archive:
        assert archive.search("harbour pilots").total == 20
        assert archive.search('source:"Harbour Gazette"').total == 0
        assert archive.stats()["documents"] == 35 - 7 + 20


def _ids(settings, failed) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the document ids of files a run reported failed."""
    from archive.documents import document_id

    out = []
    for p in failed:
        collection, _, relpath = p.path.partition("/")
        out.append(document_id(collection, relpath))
    return out
