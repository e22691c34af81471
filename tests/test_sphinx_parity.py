"""The same archive on Whoosh and on a Sphinx cluster: same totals, same documents, failures reported.

One corpus (samples, the seeds, and BBC News's tech and business categories, which hold identical
texts) is ingested into a Whoosh index and into a local cluster of two shards, shard 0 mirrored
on two daemons. For every query of the table, both engines must count the same distinct texts and
find the same texts. Then the failure drill: with one mirror of shard 0 killed every query still
answers in full; with shard 1 (not mirrored) killed the results are marked partial, in the JSON
and on the page, and never raise.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from needs import SAMPLES, SEEDS, demo_settings
from serving import serve, stop
from sphinx_cluster import running_cluster

from archive.archive import Archive
from archive.ingest import ingest
from archive.render import snippet_html

BBC_CATEGORIES = ("tech", "business")

# (kind, query): at least one of every syntax the query language has.
QUERIES = [
    ("word", "border"), ("word", "semiconductor"), ("word, inflected", "governments"), ("word", "broadband"),
    ("AND", "oil prices"), ("AND", "mobile phone firms"), ("OR", "broadband OR wireless"),
    ("OR", "Hyesan OR Pyongyang"), ("NOT", "oil -prices"), ("NOT", "profit NOT loss"), ("only NOT", "NOT said"),
    ("group", "(games OR music) AND download*"),
    ("phrase", '"border closes"'), ("phrase", '"oil prices"'), ("common phrase", '"the company said"'),
    ("phrase", '"state of the art"'), ("phrase", '"chief executive"'), ("possessive", '"Tony Blair\'s"'),
    ("hyphen", "e-mail"), ("proximity", '"interest rates"~2'), ("proximity", '"border trade"~3'),
    ("ordered proximity", '"government plan"~3'), ("proximity, 3 words", '"oil prices rose"~2'),
    ("any order", "oil w/3 prices"), ("in order", '"prime minister" pre/3 blair'),
    ("proximity with OR", "(broadband OR wireless) w/3 users"), ("possessive as plain word", '"prime minister"'),
    ("regex", "/colou?r/"), ("regex", "/organi[sz]ation/"),
    ("prefix", "econom*"), ("prefix", "broadb*"), ("fuzzy", "goverment~"), ("fuzzy", "telephon~1"),
    ("field", "title:hyesan"), ("field", 'title:"mobile phone"'), ("source", 'source:"Harbour Gazette"'),
    ("collection", "collection:tech"), ("lang", "lang:ko"), ("year", "year:2021"), ("date", "date:2021"),
    ("date range", "date:2020-01-01..2022-06-30"), ("date range + word", "date:2021 AND rates"),
    ("code", "C++"), ("Korean", "김정은"), ("Korean phrase", '"국경 봉쇄"'), ("everything", "*"),
]


ORDER = {  # proximity counts word order: "government plan"~3 finds the first only (Sphinx alone finds both)
    "budget.txt": "Budget two\n\nThe government plan was announced today.\n",
    "meeting.txt": "Meeting\n\nThe government met on Monday and talked for many long hours about other matters "
                   "entirely. The plan of the government was announced.\n",
}


def _copy_corpus(dest: Path, bbc_root: Path | None) -> list[str]:
    folders = []
    (dest / "order").mkdir(parents=True)
    for name, text in ORDER.items():
        (dest / "order" / name).write_text(text)
    folders.append(str(dest / "order"))
    for src in (SAMPLES, SEEDS):
        shutil.copytree(src, dest / src.name)
        folders.append(str(dest / src.name))
    if bbc_root is not None:
        for cat in BBC_CATEGORIES:
            shutil.copytree(bbc_root / cat, dest / cat)
            folders.append(str(dest / cat))
    return folders


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read().decode()


@pytest.fixture(scope="module")
def engines(tmp_path_factory, bbc_dir):
    """(Whoosh archive, Sphinx archive, the cluster) over one corpus, built once for the module."""
    base = tmp_path_factory.mktemp("parity")
    folders = _copy_corpus(base / "corpus", bbc_dir)
    whoosh_settings = demo_settings(base / "whoosh")  # the cluster's settings name the demo's aliases too
    report = ingest(folders, whoosh_settings)
    assert not report.failed, report.summary()
    with running_cluster(base / "cluster", shards=[2, 1]) as cluster:
        settings = cluster.settings(base / "sphinx")
        report = ingest(folders, settings)
        assert not report.failed, report.summary()
        with Archive(whoosh_settings) as w, Archive(settings) as s:
            yield w, s, cluster


def _texts(archive: Archive, query: str) -> set[str]:
    """Return the content hashes of every result."""
    return {archive.get(doc_id).content_hash for doc_id, _ in archive.listing(query)}


@pytest.mark.parametrize("kind,query", QUERIES, ids=[q for _, q in QUERIES])
def test_totals_and_documents_agree(engines, kind, query):
    whoosh, sphinx, _ = engines
    w, s = whoosh.search(query), sphinx.search(query)
    assert not s.partial or w.partial, s.messages
    assert s.total == w.total, f"{kind}: sphinx {s.total} vs whoosh {w.total}"
    assert _texts(sphinx, query) == _texts(whoosh, query)
    if w.total:
        assert s.hits and s.hits[0].snippets is not None


def test_facets_agree(engines):
    whoosh, sphinx, _ = engines
    for query in ("said", "oil prices", "*"):
        assert sphinx.search(query).facets == whoosh.search(query).facets


def test_identical_texts_are_one_result(engines):
    whoosh, sphinx, _ = engines
    stats = sphinx.stats()
    assert stats["documents"] == whoosh.stats()["documents"]
    everything = sphinx.search("*")
    assert everything.total < stats["documents"]  # BBC holds identical texts under different names
    copies = [h for h in sphinx.search("*", limit=1000).hits if len(h.paths) > 1]
    assert copies and all(len(set(h.paths)) == len(h.paths) for h in copies)


def test_phrase_snippets_mark_the_whole_phrase(engines):
    _, sphinx, _ = engines
    hit = sphinx.search('"oil prices"').hits[0]
    assert any("<mark>oil prices</mark>" in snippet_html(s).lower() for s in hit.snippets)


def test_first_hits_mostly_agree(engines):
    """Ranking: BM25F on both, but each shard has its own word statistics (no global IDF)."""
    whoosh, sphinx, _ = engines
    agree = 0
    ranked = [q for _, q in QUERIES if whoosh.search(q, limit=1).total > 1 and q != "*"]
    for q in ranked:
        top_w = {whoosh.get(h.id).content_hash for h in whoosh.search(q, limit=3).hits}
        top_s = sphinx.get(sphinx.search(q, limit=1).hits[0].id).content_hash
        agree += top_s in top_w
    assert agree >= 0.7 * len(ranked), f"{agree} of {len(ranked)}"


def test_failure_drill(engines):
    """Kill a mirror's twin: full answers. Kill the unmirrored shard: partial, said plainly."""
    whoosh, sphinx, cluster = engines
    expected = {q: whoosh.search(q).total for _, q in QUERIES[:12]}
    cluster.kill(shard=0, mirror=0)
    for q, total in expected.items():
        r = sphinx.search(q)
        assert (r.total, r.partial) == (total, False), q
    host, server, app = serve(sphinx.settings, threads=2)
    url = "http://" + host
    try:
        status, page = _get(url + "/search?q=border")
        assert status == 200 and "shards answered" not in page
        cluster.kill(shard=1, mirror=0)
        status, page = _get(url + "/search?q=said")
        assert status == 200 and "1 of 2 shards answered" in page
        status, body = _get(url + "/api/search?q=said")
        data = json.loads(body)
        assert status == 200 and data["partial"] and not data["total_exact"]
        assert any("1 of 2 shards answered" in m for m in data["messages"])
        status, page = _get(url + "/doc/" + data["hits"][0]["id"])
        assert status == 200
    finally:
        stop(server)
        app.extensions["archive"].close()
    r = sphinx.search("said")
    assert r.partial and not r.total_exact
    assert r.total < whoosh.search("said").total
    assert any("1 of 2 shards answered" in m for m in r.messages)
    assert "1 of 2 shards answered" in " ".join(r.to_dict()["messages"])
