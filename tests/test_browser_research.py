"""Browser tests (Chromium through Playwright) of the concordance, saved searches, feeds and permalinks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from clirun import invoke
from indexes import build_index
from scan import Word, aliased, counts

pytestmark = pytest.mark.browser
NEW_DOC = """Hyesan smugglers return as border guards rotate

Traders in Hyesan said smugglers were back on the river bank this week after a rotation of border guards.
"""


@pytest.fixture
def changing(ser_corpus, index_dir, make_app) -> Iterator[tuple[str, Path, Path]]:
    """A server on loopback over an index of its own: (base URL, corpus folder, index folder)."""
    from serving import served

    build_index([ser_corpus], index_dir)
    with served(make_app(index_dir), threads=2) as base:
        yield base, ser_corpus, index_dir


def _add_and_ingest(corpus: Path, index: Path) -> None:
    (corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    build_index([corpus], index)


def test_concordance_view_aligns_hits_and_links_to_them(page, live_server, shots_dir, sample_documents):
    occurrences = counts(aliased(Word("Hyesan")), sample_documents).occurrences
    assert occurrences > 1
    page.goto(f"{live_server}/search?q=Hyesan")
    page.click("#kwic-link")
    page.wait_for_selector("table.kwic")
    assert page.inner_text("#kwic-occurrences") == str(occurrences)
    hits = page.locator("table.kwic td.hit mark")
    assert hits.count() == occurrences
    # Every left context ends at the same x, and every hit starts at the same x: one column.
    edges = page.evaluate("""() => [...document.querySelectorAll('table.kwic tbody tr')].map(tr => [
        Math.round(tr.querySelector('td.left span').getBoundingClientRect().right),
        Math.round(tr.querySelector('td.hit mark').getBoundingClientRect().left)])""")
    assert len(edges) == occurrences and len({e[0] for e in edges}) == 1 and len({e[1] for e in edges}) == 1
    page.screenshot(path=str(shots_dir / "kwic.png"), full_page=True)
    before = page.locator("table.kwic td.right").all_inner_texts()
    page.click("text=right words")
    after = page.locator("table.kwic td.right").all_inner_texts()
    assert sorted(before) == sorted(after) and before != after
    page.locator("table.kwic td.hit a").first.click()
    page.wait_for_selector("#hitcount")
    assert int(page.inner_text("#hitcount")) >= 1 and "#hit-" in page.url


# The server comes first: fixtures are torn down in reverse, so the tab closes before its server stops.
def test_saved_search_shows_new_document_after_ingest_and_in_its_feed(changing, page):
    base, corpus, index = changing
    assert invoke("saved", "add", "--index", str(index), "hyesan", "Hyesan").exit_code == 0
    page.goto(f"{base}/saved/hyesan")  # first visit: remembered in a cookie
    assert "0 since your last visit" in page.inner_text("main")
    _add_and_ingest(corpus, index)
    page.goto(f"{base}/saved")
    item = page.locator('li[data-name="hyesan"]')
    assert "1 new since the last run" in item.inner_text() and "1 since your last visit" in item.inner_text()
    item.locator("a", has_text="hyesan").click()
    assert page.locator("ul.new-docs li").count() == 1
    assert "Hyesan smugglers return" in page.inner_text("ul.new-docs")
    response = page.request.get(f"{base}/feeds/hyesan.atom")
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0 and feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["Hyesan smugglers return as border guards rotate"]
    page.goto(f"{base}/saved")
    assert "0 since your last visit" in page.locator('li[data-name="hyesan"]').inner_text()


def test_permalink_reports_a_changed_result_set(changing, page):
    base, corpus, index = changing
    page.goto(f"{base}/search?q=Hyesan&sort=newest")
    page.click("#cite-link")
    page.wait_for_selector("#verdict")
    assert "is the same" in page.inner_text("#verdict")
    permalink, cited_hash = page.url, page.inner_text("#cited-hash")
    assert "run=000001" in permalink and f"h={cited_hash}" in permalink
    _add_and_ingest(corpus, index)
    (corpus / "2025-03-19-trucks-return-to-hyesan-bridge.txt").unlink()
    build_index([corpus], index)
    page.goto(permalink)
    assert "has changed" in page.inner_text("#verdict")
    assert page.inner_text("#now-hash") != cited_hash
    assert "Hyesan smugglers return" in page.inner_text("ul.added")
    assert "Trucks return to Hyesan bridge" in page.inner_text("ul.removed")
