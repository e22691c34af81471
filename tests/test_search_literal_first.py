"""What a user sees for a name with aliases, and for a typo in Korean or an accented word.

A document that holds the name as typed ranks above the documents that hold only one of its
aliases, on the page, in the JSON API and in `archive search --json`; which documents hold the
name is read from each document's own text (`/api/doc/<id>`), not from the search. Did-you-mean
offers a correction for Korean and accented words, and the correction finds documents.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from indexes import build_index
from needs import demo_settings

from archive.config import Settings

ARCHIVE = str(Path(sys.executable).parent / "archive")
DOC_LINK = re.compile(r'<li class="hit">\s*<h2><a href="/doc/([0-9a-f]+)')


def _get(base: str, path: str, **params: str) -> str:
    with urllib.request.urlopen(f"{base}{path}?{urllib.parse.urlencode(params)}", timeout=60) as r:
        return r.read().decode()


def _holds(base: str, doc_id: str, words: tuple[str, ...]) -> bool:
    """Whether the document's own title and text hold all the words (case and hyphens aside)."""
    doc = json.loads(_get(base, f"/api/doc/{doc_id}"))
    text = re.sub(r"[-\s]+", " ", (doc["title"] + " " + doc["text"]).casefold())
    return all(w.casefold() in text for w in words)


def _orders(base: str, index: Path, query: str) -> dict[str, list[str]]:
    """The result ids of a query in the order the page, the API and the CLI show them."""
    page = DOC_LINK.findall(_get(base, "/search", q=query))
    api = [h["id"] for h in json.loads(_get(base, "/api/search", q=query, limit="50"))["hits"]]
    proc = subprocess.run([ARCHIVE, "search", "--index", str(index), "--json", "--limit", "50", query],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    cli = [h["id"] for h in json.loads(proc.stdout)["hits"]]
    return {"page": page, "api": api, "cli": cli}


@pytest.mark.parametrize("query,words", [("김정은", ("김정은",)), ("Kim Jong Un", ("kim jong un",))])
def test_documents_holding_the_name_as_typed_rank_above_those_with_only_an_alias(live_server, sample_index,
                                                                                 query, words):
    for where, ids in _orders(live_server, sample_index, query).items():
        holds = [_holds(live_server, i, words) for i in ids]
        assert True in holds and False in holds, (where, holds)  # both kinds are in the results
        assert holds == sorted(holds, reverse=True), f"{where}: {holds}"  # every holder before the others


@pytest.fixture(scope="module")
def typo_server(tmp_path_factory):
    """A small index on disk of texts with Korean and accented names, served on loopback."""
    from serving import app_on, served

    src = tmp_path_factory.mktemp("typos") / "news"
    src.mkdir()
    topics = ["harbour", "council", "ferry", "budget", "river", "market"]
    for i, topic in enumerate(topics):
        (src / f"{i}.txt").write_text(
            f"Report {i} on the {topic}\n\n"
            f"Bankers from Zürich met Lech Wałęsa on the {topic} on day {i}, and the Ærø ferries ran {i} times. "
            f"김정은 국무위원장이 혜산을 {i}번 방문했다고 {topic} 주민들이 말했다.\n", encoding="utf-8")
    index = src.parent / "index"
    build_index([src], index)
    with app_on(Settings(index=index)) as app, served(app) as base:
        yield base, index


@pytest.mark.parametrize("typo,fix", [
    ("헤산", "혜산"), ("김정운", "김정은"), ("국무위원쟝", "국무위원장"), ("김정운 방문", "김정은 방문"),
    ("Wałęsaa", "wałesa"), ("Ærrø", "ærø"), ("Zürihc", "zurich"),
])
def test_did_you_mean_offers_korean_and_accented_corrections_that_find_documents(typo_server, typo, fix):
    base, index = typo_server
    data = json.loads(_get(base, "/api/search", q=typo))
    assert data["total"] == 0 and data["suggestion"] == fix
    page = _get(base, "/search", q=typo)
    assert re.search(r'Did you mean <a href="[^"]*">' + re.escape(fix) + "</a>", page), page[:2000]
    proc = subprocess.run([ARCHIVE, "search", "--index", str(index), typo], capture_output=True, text=True, timeout=120)
    assert f"Did you mean: {fix}" in proc.stderr
    assert json.loads(_get(base, "/api/search", q=fix))["total"] == 6  # every text holds the corrected words


def test_whoosh_ranking_puts_the_holders_first_too_when_numpy_cannot_score_the_query(sample_index):
    """The rare queries numpy does not score (a boost, here) are ranked by Whoosh: same rule."""
    from dataclasses import replace

    from archive.archive import Archive
    from archive.engine.whoosh import accel
    from archive.engine.whoosh.compile import Compiler
    from archive.engine.whoosh.results import best
    from archive.query.parser import parse

    forever = float("inf")
    with Archive(demo_settings(sample_index)) as archive:
        tree, literal = archive.tree("김정은"), parse("김정은").tree
        with archive.engine.searcher() as s:
            comp = Compiler(s.reader()).compile(tree)
            boosted = replace(comp, query=comp.query.with_boost(2.0))
            first = accel.matching(s, Compiler(s.reader()).compile(literal).query, forever)
            plain, _ = best(s, boosted, None, "relevance", forever)
            ranked, _ = best(s, boosted, None, "relevance", forever, first=first)
            texts = {d: s.stored_fields(d)["title"] + s.stored_fields(d)["text"] for d, _ in ranked}
    holds = ["김정은" in texts[d] for d, _ in ranked]
    assert holds[0] and holds == sorted(holds, reverse=True) and False in holds
    assert sorted(d for d, _ in ranked) == sorted(d for d, _ in plain)  # the same results, reordered
    assert not ["김정은" in texts[d] for d, _ in plain][0]  # Whoosh alone ranks an alias-only text first
