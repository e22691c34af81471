"""Saved searches: saved on the command line, new documents per run, since a visit, and an Atom feed."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
from clirun import invoke
from indexes import build_index

from archive.archive import Archive
from archive.config import Settings
from archive.research.saved import SavedSearches, saved_path, status

NEW_DOC = """Hyesan smugglers return as border guards rotate

Traders in Hyesan said smugglers were back on the river bank <this week> & after a rotation of guards.
"""


def _ingest(corpus: Path, index: Path) -> str:
    return build_index([corpus], index).run_id


def test_saved_cli_add_list_remove(ser_corpus, index_dir):
    _ingest(ser_corpus, index_dir)
    result = invoke("saved", "add", "--index", str(index_dir), "hyesan", "Hyesan")
    assert result.exit_code == 0, result.output
    assert saved_path(index_dir).is_file() and saved_path(index_dir).parent == index_dir.parent
    assert invoke("saved", "add", "--index", str(index_dir), "hyesan", "x").exit_code == 2  # name taken
    bad = invoke("saved", "add", "--index", str(index_dir), "broken", "date:>foo")
    assert bad.exit_code == 2 and "not understood" in bad.stderr
    assert invoke("saved", "add", "--index", str(index_dir), "../x", "oil").exit_code == 2
    listed = json.loads(invoke("saved", "list", "--index", str(index_dir), "--json").stdout)
    # The only run added them.
    assert [(r["name"], r["new_in_last_run"], r["new_since_saved"]) for r in listed] == [("hyesan", 3, 0)]
    assert invoke("saved", "remove", "--index", str(index_dir), "hyesan").exit_code == 0
    assert invoke("saved", "remove", "--index", str(index_dir), "hyesan").exit_code == 3


def test_saved_search_counts_documents_of_later_runs(ser_corpus, index_dir):
    _ingest(ser_corpus, index_dir)
    with Archive(Settings(index=index_dir)) as a, SavedSearches(index_dir) as store:
        store.add(a, "hyesan", "Hyesan")
        store.add(a, "rates", '"interest rates"')
    (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    second = _ingest(ser_corpus, index_dir)
    _ingest(ser_corpus, index_dir)  # a third run that adds nothing
    with Archive(Settings(index=index_dir)) as a, SavedSearches(index_dir, readonly=True) as store:
        hyesan = status(a, store.get("hyesan"))
        rates = status(a, store.get("rates"))
        visited = status(a, store.get("hyesan"), visited_run="000001")
        seen = status(a, store.get("hyesan"), visited_run=second)
    assert [d.title for d in hyesan.feed] == ["Hyesan smugglers return as border guards rotate"]
    assert hyesan.feed[0].run_id == second
    assert hyesan.new_in_last_run == []  # the last run added nothing
    assert len(visited.new_since_visit) == 1 and seen.new_since_visit == []
    assert rates.feed == []


def test_feed_is_valid_atom_with_the_new_documents(ser_corpus, index_dir, make_app):
    _ingest(ser_corpus, index_dir)
    assert invoke("saved", "add", "--index", str(index_dir), "hyesan", "Hyesan").exit_code == 0
    client = make_app(index_dir).test_client()
    empty = feedparser.parse(client.get("/feeds/hyesan.atom").data)
    assert empty.bozo == 0 and empty.version == "atom10" and empty.entries == []
    (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    _ingest(ser_corpus, index_dir)
    response = client.get("/feeds/hyesan.atom")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "Archive: hyesan" and feed.feed.updated_parsed
    assert [e.title for e in feed.entries] == ["Hyesan smugglers return as border guards rotate"]
    entry = feed.entries[0]
    assert entry.link.startswith("http://localhost/doc/") and entry.id.endswith("#run-000002")
    assert "<this week> &" in entry.summary and entry.updated_parsed
    assert client.get("/feeds/nope.atom").status_code == 404


def test_saved_pages_count_since_last_visit_with_a_cookie(ser_corpus, index_dir, make_app):
    _ingest(ser_corpus, index_dir)
    assert invoke("saved", "add", "--index", str(index_dir), "hyesan", "Hyesan").exit_code == 0
    (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    _ingest(ser_corpus, index_dir)
    client = make_app(index_dir).test_client()
    listing = client.get("/saved").get_data(as_text=True)
    assert "1 new since the last run" in listing and "1 since your last visit" in listing
    first = client.get("/saved/hyesan").get_data(as_text=True)
    assert "Hyesan smugglers return" in first and "1 since your last visit" in first
    assert "0 since your last visit" in client.get("/saved").get_data(as_text=True)
    assert client.post("/saved/hyesan").status_code == 405  # saving is a command-line action
    assert client.get("/saved/..%2Fx").status_code == 404
