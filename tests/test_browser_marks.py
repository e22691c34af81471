"""Browser tests (Chromium through Playwright): tagging a document and finding it by tag; compared timelines."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from indexes import build_index

from archive.config import Settings
from archive.marks.store import MarkStore
from archive.passwords import hash_password

pytestmark = pytest.mark.browser
SECRET = "correct horse battery"


@pytest.fixture
def locked(ser_corpus, index_dir) -> Iterator[str]:
    """A server with a login, on loopback, over an index of its own; gives its base URL."""
    from serving import app_on, served

    build_index([ser_corpus], index_dir)
    settings = dataclasses.replace(Settings(index=index_dir), auth_user="ana",
                                   auth_hash=hash_password(SECRET, iterations=1000))
    with app_on(settings) as app, served(app, threads=2) as base:
        yield base


@pytest.fixture
def logged_in(browser, locked):  # type: ignore[no-untyped-def]
    """A browser tab that sends the login, closed before its server stops: a request the page still
    made after the server stopped was refused, and reported as a console error of the test."""
    context = browser.new_context(http_credentials={"username": "ana", "password": SECRET})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not errors, errors


def test_tag_a_document_in_its_view_then_find_it_by_tag(logged_in, locked, index_dir, shots_dir):
    page = logged_in
    page.goto(f"{locked}/search?q=Hyesan")
    first = page.locator("ol.hits li.hit h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_selector("#marks")
    page.fill(".add-tag input[name=tag]", "Follow-Up")
    page.click(".add-tag button")
    page.wait_for_selector("#marks li.tag a")
    assert page.locator("#marks li.tag a").all_inner_texts() == ["follow-up"]
    assert "ana" in page.inner_text("#marks li.tag")
    page.fill(".add-note textarea", "Compare with the customs figures <b>later</b>")
    page.click(".add-note button")
    page.wait_for_selector("#marks li.note")
    assert page.inner_text("#marks li.note p").startswith("Compare with the customs figures <b>later</b>")
    page.screenshot(path=str(shots_dir / "marks-document.png"), full_page=True)
    doc_id = page.url.split("/doc/")[1].split("#")[0].split("?")[0]
    with MarkStore(index_dir, readonly=True) as marks:  # stored with the login's name as author
        assert [(t.tag, t.author) for t in marks.tags_of(doc_id)] == [("follow-up", "ana")]
        assert [n.author for n in marks.notes_of(doc_id)] == ["ana"]

    page.fill("input[name=q]", "tag:follow-up")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#total")
    assert page.inner_text("#total") == "1"
    assert page.locator("ol.hits li.hit h2 a").all_inner_texts() == [title]
    page.goto(f"{locked}/search?q=Hyesan")
    tag_facet = page.locator('section.facet[data-facet="tag"] a').first
    assert "follow-up" in tag_facet.inner_text()
    tag_facet.click()
    page.wait_for_selector("#total")
    assert page.inner_text("#total") == "1"
    page.fill("input[name=q]", "has:note")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#total")
    assert page.inner_text("#total") == "1"


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 900), ("phone", 390, 844)])
def test_compared_timeline_fits_desktop_and_phone(browser, live_server, shots_dir, name, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/timeline?q=oil&q=Hyesan&q=rates&q=semiconductor")
        page.wait_for_selector("figure.compared div.chart svg")
        assert page.locator("figure.compared polyline").count() == 4
        assert page.locator("ul.legend li").count() == 4
        box = page.locator("figure.compared div.chart svg").bounding_box()
        assert box is not None and box["width"] <= width and box["height"] > 100
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, overflow
        assert page.locator("figure.compared table tr.total td").count() == 4
        page.screenshot(path=str(shots_dir / f"compare-{name}.png"), full_page=True)
    finally:
        context.close()


def test_compare_from_the_search_page(page, live_server):
    page.goto(f"{live_server}/search?q=oil")
    page.click("details.compare-here summary")
    page.fill("details.compare-here input[name=q] >> nth=1", "rates")
    page.click("details.compare-here button")
    page.wait_for_selector("figure.compared div.chart svg")
    assert page.locator("ul.legend li a").all_inner_texts() == ["oil", "rates"]
    assert page.locator("figure.compared polyline").count() == 2
