"""The web app served by waitress on loopback, driven in Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_phrase_search_then_open_document_shows_highlighted_hits(page, live_server):
    page.goto(live_server + "/")
    page.fill("input[name=q]", '"border closes"')
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("ol.hits li.hit")
    assert int(page.inner_text("#total")) >= 1
    marks = page.locator("ol.hits mark").all_inner_texts()
    assert marks and all(m.lower() == "border closes" for m in marks)

    page.click("ol.hits li.hit h2 a")
    page.wait_for_selector("article.document")
    doc_marks = page.locator(".text mark").all_inner_texts()
    assert doc_marks and all(m.lower() == "border closes" for m in doc_marks)
    assert page.locator(".text mark").first.is_visible()


def test_results_page_in_the_url_survives_reload_and_back(page, live_server):
    page.goto(live_server + "/search?q=oil+prices")
    first = page.inner_text("#total")
    page.goto(live_server + "/search?q=border")
    page.go_back()
    page.wait_for_selector("#total")
    assert page.inner_text("#total") == first
    assert page.input_value("input[name=q]") == "oil prices"


def test_script_in_a_query_does_not_run(page, live_server):
    page.goto(live_server + "/search?q=%3Cimg%20src%3Dx%20onerror%3Dwindow.pwned%3D1%3E")
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x]").count() == 0
