"""The web app's pure parts: URL state and composed queries, timeline buckets, document blocks."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from archive.csvout import safe_cell as _cell
from archive.documents import Hit, Removed
from archive.exports import hit_row
from archive.query import parse
from archive.query.filters import Filters
from archive.render import html
from archive.spans import Snippet
from web import document as docview
from web import timeline
from web.filters import SearchState


def state(**args: str) -> SearchState:
    return SearchState.from_args(MultiDict(args))


def test_state_keeps_the_users_query_apart_from_filters():
    s = state(q="oil OR gas", source="Daily NK", year="2021", sort="newest", page="3")
    assert s.q == "oil OR gas"
    assert s.engine_query() == 'source:"Daily NK" date:2021 (oil OR gas)'
    assert s.url() == "/search?q=oil+OR+gas&source=Daily+NK&year=2021&sort=newest&page=3"


@pytest.mark.parametrize("name,value", [
    ("year", "20x1"), ("month", "2021-13"), ("lang", "EN;drop"), ("source", 'a" OR "b'), ("sort", "evil"),
    ("page", "-4"), ("timeline", "pie"),
])
def test_state_drops_values_that_are_not_valid(name, value):
    s = state(q="oil", **{name: value})
    assert s.filters == {} and s.sort == "relevance" and s.page == 1 and s.timeline == "count"
    assert s.engine_query() == "oil"


def test_filters_survive_a_query_the_parser_cuts():
    s = state(q="word " * 600, lang="ko")
    tree = parse(s.engine_query()).tree
    assert "lang:ko" in tree.describe()


def test_filters_alone_are_a_search():
    s = state(source="Valley Courier")
    assert s.active and s.engine_query() == 'source:"Valley Courier"'
    assert not state(q="  ").active


def test_changing_a_filter_goes_back_to_page_one_and_chips_remove_one_filter():
    s = state(q="oil", source="X", year="2020", page="4")
    assert s.with_filter("lang", "en").page == 1
    chips = {c.name: c.remove_url for c in s.chips()}
    assert chips["source"] == "/search?q=oil&year=2020"
    assert chips["year"] == "/search?q=oil&source=X"


def test_state_gives_the_archive_its_filters_apart_from_the_query():
    s = state(q="oill prices", source="Daily NK", year="2021", month="2021-03", lang="ko")
    assert s.search_filters() == Filters(sources=("Daily NK",), dates=("2021", "2021-03"), langs=("ko",))
    assert s.search_filters().record(s.q) == s.engine_query()
    assert not state(q="oil").search_filters()


def test_timeline_fills_empty_months_and_links_each_bar():
    facets = {"month": {"2020-11": 2, "2021-02": 1}, "year": {"2020": 2, "2021": 1}}
    chart = timeline.build(facets, None, lambda unit, key: f"/{unit}/{key}")
    assert [b.label for b in chart.bars] == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert [b.count for b in chart.bars] == [2, 0, 0, 1]
    assert chart.bars[0].height == timeline.HEIGHT and chart.bars[1].height == 0
    assert chart.bars[3].href == "/month/2021-02" and chart.unit == "month"


def test_timeline_share_divides_by_all_documents_of_the_month():
    facets = {"month": {"2020-01": 2, "2020-02": 2}, "year": {"2020": 4}}
    totals = {"month": {"2020-01": 4, "2020-02": 8}, "year": {"2020": 12}}
    chart = timeline.build(facets, totals, lambda unit, key: "")
    assert [b.value for b in chart.bars] == [0.5, 0.25]
    assert chart.peak_label == "50.0%" and "50.0% of 4" in chart.bars[0].title


def test_timeline_of_a_long_range_is_per_year():
    facets = {"month": {"2001-01": 1, "2020-06": 3}, "year": {"2001": 1, "2020": 3}}
    chart = timeline.build(facets, None, lambda unit, key: f"?{unit}={key}")
    assert chart.unit == "year" and len(chart.bars) == 20
    assert chart.bars[-1].count == 3 and chart.bars[-1].href == "?year=2020"


def test_timeline_is_none_without_dated_hits():
    assert timeline.build({"month": {}, "year": {}}, None, lambda u, k: "") is None


def test_marked_html_escapes_the_text_and_wraps_each_span():
    text = 'Tom & "Jerry" <b>oil</b>\n\noil prices'
    spans = [(17, 20), (26, 36)]
    assert html(text, spans) == ("Tom &amp; &quot;Jerry&quot; &lt;b&gt;<mark>oil</mark>&lt;/b&gt;\n\n"
                                 "<mark>oil prices</mark>")
    # A piece of the text: a span cut at its start has no anchor, the next one is numbered 2.
    assert html(text, spans, 18, 30, anchor="hit") == '<mark>il</mark>&lt;/b&gt;\n\n<mark id="hit-2">oil </mark>'


def test_render_numbers_hits_and_keeps_a_hit_across_paragraphs_one_hit():
    text = "alpha beta\n\ngamma delta"
    blocks, _ = docview.render(text, [(0, 5), (6, 18)], [], show_removed=False)
    html = "".join(str(b.html) for b in blocks)
    assert html.count('id="hit-1"') == 1 and html.count('id="hit-2"') == 1
    assert html.count("<mark") == 3  # hit 2 is cut by the paragraph break: its second part has no id
    assert len(blocks) == 2


def test_render_puts_removed_blocks_where_they_stood():
    text = "First paragraph.\n\nSecond paragraph."
    removed = [Removed("By A. Writer", "byline", at=0), Removed("Share this", "share", at=18),
               Removed("Ad <b>x</b>", "promo", at=-1), Removed("Footer", "footer", at=len(text))]
    blocks, unplaced = docview.render(text, [], removed, show_removed=True)
    kinds = [b.removed.reason if b.removed else str(b.html) for b in blocks]
    assert kinds == ["byline", "First paragraph.", "share", "Second paragraph.", "footer"]
    assert [r.reason for r in unplaced] == ["promo"]
    hidden, none = docview.render(text, [], removed, show_removed=False)
    assert all(b.removed is None for b in hidden) and none == []


def test_render_splits_a_paragraph_at_a_block_inside_it():
    text = "one two three"
    blocks, _ = docview.render(text, [(4, 7)], [Removed("[ad]", "promo", at=8)], show_removed=True)
    assert [str(b.html) if b.html else "AD" for b in blocks] == ['one <mark id="hit-1">two</mark> ', "AD", "three"]


def test_export_cells_cannot_become_formulas_and_snippets_are_plain():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("@x") == "'@x" and _cell("oil") == "oil"
    assert _cell(3.5) == 3.5
    hit = Hit(id="1", title="t", source="s", collection="c", date="", url="", path="/p", paths=["/p"], score=1.0,
              snippets=[Snippet("a b & <c>", [(2, 3)])])
    assert hit_row(hit)["snippet"] == "a b & <c>"


def test_timeline_axis_labels_each_january_and_thins_years():
    months = {"month": {"2020-11": 1, "2022-02": 1}, "year": {"2020": 1, "2022": 1}}
    ticks = timeline.build(months, None, lambda u, k: "").ticks
    assert len(ticks) == 16 and ticks[0] == "2020-11" and ticks[2] == "2021" and ticks[-1] == "2022-02"
    assert [t for t in ticks if t] == ["2020-11", "2021", "2022-02"]  # January 2022 is too close to the end
    years = {"month": {"1990-01": 1, "2020-01": 1}, "year": {"1990": 1, "2020": 1}}
    ticks = timeline.build(years, None, lambda u, k: "").ticks
    shown = [t for t in ticks if t]
    assert len(ticks) == 31 and len(shown) <= timeline.MAX_TICKS + 1
    assert shown[0] == "1990" and shown[-1] == "2020"


def test_render_of_many_hits_numbers_each_once():
    text = "\n\n".join(f"oil {i} gas" for i in range(300))
    spans = [(m, m + 3) for m in range(len(text)) if text.startswith("oil", m)]
    blocks, _ = docview.render(text, spans, [], show_removed=False)
    html = "".join(str(b.html) for b in blocks)
    assert [int(n) for n in re.findall(r'id="hit-(\d+)"', html)] == list(range(1, 301))


@pytest.mark.parametrize("url,shown", [
    ("https://example.org/a?b=1", True), ("http://x.example/", True), ("javascript:alert(1)", False),
    ("file:///etc/passwd", False), ("//evil.example/", False), ("", False), ("https://a b", False),
])
def test_only_web_addresses_become_links(url, shown):
    from web.views import _web_url

    assert (_web_url(url) == url) is shown
