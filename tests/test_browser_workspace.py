"""The researcher's workspace in Debian's Chromium: facets, sort, pages, hit navigation, boilerplate, download."""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def total(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.inner_text("#total").replace(",", ""))


def test_facet_click_filters_and_its_chip_removes_it(page, live_server):
    page.goto(live_server + "/search?q=oil")
    everything = total(page)
    link = page.locator("[data-facet=source] li a").first
    value, count = link.locator(".value").inner_text(), int(link.locator(".count").inner_text())
    link.click()
    page.wait_for_url(re.compile(r"source="))
    assert params(page.url)["source"] == [value] and params(page.url)["q"] == ["oil"]
    assert total(page) == count < everything
    assert all(m.startswith(value + " ·") for m in page.locator(".hit .meta").all_inner_texts())
    chip = page.locator(".chip", has_text=value)
    assert chip.is_visible()
    chip.locator("a").click()
    page.wait_for_url(lambda url: "source=" not in url)
    assert total(page) == everything and page.locator(".chip").count() == 0
    page.go_back()
    assert page.locator(".chip", has_text=value).is_visible() and total(page) == count


def test_sort_newest_and_oldest_order_by_date(page, live_server):
    page.goto(live_server + "/search?q=the")
    for order in ("newest", "oldest"):
        page.click(f".sorts a:text-is('{order}')")
        page.wait_for_url(re.compile(f"sort={order}"))
        dates = [d for d in page.locator(".hit time").evaluate_all("els => els.map(e => e.dateTime)")]
        assert len(dates) >= 5
        assert dates == sorted(dates, reverse=(order == "newest"))
        assert page.locator(".sorts strong").inner_text() == order


def test_pagination_goes_forward_and_the_back_button_returns(page, live_server):
    page.goto(live_server + "/search?q=the")
    first_page = page.locator(".hit h2").all_inner_texts()
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.get_attribute("ol.hits", "start") == "11"
    second_page = page.locator(".hit h2").all_inner_texts()
    assert second_page and not set(second_page) & set(first_page)
    assert page.locator(".pages strong").inner_text() == "2"
    page.go_back()
    assert page.locator(".hit h2").all_inner_texts() == first_page


def open_document_with_hits(page, live_server, q: str = "oil"):  # type: ignore[no-untyped-def]
    """Open the result with the most marked hits among the first page of a search."""
    data = page.request.get(live_server + "/api/search", params={"q": q}).json()
    best = max(data["hits"], key=lambda h: page.request.get(f"{live_server}/api/doc/{h['id']}",
                                                            params={"q": q}).json()["marked"]["count"])
    page.goto(f"{live_server}/doc/{best['id']}?q={q}")
    return page.locator(".text mark[id^=hit-]").count()


def in_view(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")


def test_hit_navigator_steps_through_every_hit(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 500})
    n = open_document_with_hits(page, live_server)
    assert n >= 3
    page.click("#hit-next")
    assert page.inner_text("#hit-pos") == f"hit 1 of {n}" and page.url.endswith("#hit-1")
    page.click("#hit-next")
    assert page.inner_text("#hit-pos") == f"hit 2 of {n}"
    assert page.get_attribute("#hit-2", "class") == "current" and in_view(page, "#hit-2")
    page.click("#hit-prev")
    page.click("#hit-prev")
    assert page.inner_text("#hit-pos") == f"hit {n} of {n}" and in_view(page, f"#hit-{n}")
    page.keyboard.press("n")
    assert page.inner_text("#hit-pos") == f"hit 1 of {n}"
    assert page.locator("mark.current").count() == 1


def test_hit_anchors_work_without_javascript(nojs_page, live_server):
    page = nojs_page
    n = open_document_with_hits(page, live_server)
    page.click("#hit-next")
    assert page.url.endswith("#hit-1")
    page.click(".jump summary")
    page.click(f".jump a[href='#hit-{n}']")
    assert page.url.endswith(f"#hit-{n}")
    assert page.locator(f"#hit-{n}").is_visible()


def test_boilerplate_toggle_shows_removed_blocks_grey_and_struck_through(page, live_server):
    hits = page.request.get(live_server + "/api/search", params={"q": "collection:samples", "limit": 50}).json()["hits"]
    doc = next(d for d in (page.request.get(f"{live_server}/api/doc/{h['id']}").json() for h in hits)
               if any(r["at"] > 0 for r in d["removed"]))
    page.goto(f"{live_server}/doc/{doc['id']}")
    assert page.locator(".removed-block").count() == 0
    page.click("#toggle-removed")
    page.wait_for_url(re.compile(r"removed=1"))
    blocks = page.locator(".text .removed-block")
    assert blocks.count() == sum(1 for r in doc["removed"] if r["at"] >= 0)
    style = blocks.first.locator("del").evaluate(
        "e => [getComputedStyle(e).textDecorationLine, getComputedStyle(e).color]")
    assert "line-through" in style[0] and style[1] != "rgb(29, 29, 31)"
    assert "removed:" in blocks.first.inner_text()
    page.click("#toggle-removed")
    page.wait_for_url(lambda url: "removed=1" not in url)
    assert page.locator(".removed-block").count() == 0


def test_csv_download_has_every_result(page, live_server):
    page.goto(live_server + "/search?q=the")
    expected = total(page)
    assert expected > 10  # more than one page of results
    with page.expect_download() as info:
        page.click(".downloads a:text-is('CSV')")
    download = info.value
    assert re.fullmatch(r"archive-the-\d{8}T\d{6}Z\.csv", download.suggested_filename)
    with open(download.path(), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == expected == len({r["id"] for r in rows})
    assert {r["query"] for r in rows} == {"the"}


def test_keyboard_reaches_a_result_with_visible_focus(page, live_server):
    page.goto(live_server + "/search?q=oil")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("ol.hits h2 a")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_selector("article.document")
    assert "/doc/" in page.url


def test_query_syntax_help_opens(page, live_server):
    page.goto(live_server + "/")
    assert not page.locator(".syntax-panel").is_visible()
    page.click(".syntax summary")
    assert page.locator(".syntax-panel").is_visible() and "exact phrase" in page.inner_text(".syntax-panel")


def test_search_facets_and_pages_work_without_javascript(nojs_page, live_server):
    page = nojs_page
    page.goto(live_server + "/")
    page.fill("input[name=q]", "the")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=the"))
    page.locator("[data-facet=year] li a").first.click()
    page.wait_for_url(re.compile(r"year=\d{4}"))
    year = params(page.url)["year"][0]
    assert all(d.startswith(year) for d in page.locator(".hit time").all_inner_texts())
    page.fill("input[name=q]", "prices")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=prices"))
    assert params(page.url)["year"] == [year]  # a new query keeps the filters shown as chips
