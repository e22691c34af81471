"""Compared timelines: each series sums to its query's total, per period as a scan of the texts counts."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from scan import Word, aliased, matches

QUERIES = ["oil", "Hyesan", "rates", "semiconductor"]
SPEC = json.loads((Path(__file__).resolve().parent.parent / "web" / "static" / "openapi.json").read_text())


def _valid(data: dict, status: int) -> None:
    """Check a response against the OpenAPI description of /api/timeline."""
    schema = SPEC["paths"]["/api/timeline"]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    assert not list(Draft202012Validator({**schema, "components": SPEC["components"]}).iter_errors(data))


def _reference(word: str, documents: list, year: str = "") -> tuple[int, Counter[str], Counter[str]]:  # type: ignore[type-arg]
    """Return distinct texts matched, and their number per year and per month, by reading every text."""
    query = aliased(Word(word))
    found = {d.content_hash: d for d in documents
             if matches(query, d.title, d.text) and (not year or d.date.startswith(year))}
    years = Counter(d.date[:4] for d in found.values() if d.date)
    months = Counter(d.date[:7] for d in found.values() if d.date)
    return len(found), years, months


def test_each_series_sums_to_its_total_and_matches_a_scan_per_year(client, archive, sample_documents):
    response = client.get("/api/timeline?" + "&".join(f"q={q}" for q in QUERIES))
    assert response.status_code == 200
    data = response.get_json()
    _valid(data, 200)
    assert data["unit"] == "year" and [s["query"] for s in data["series"]] == QUERIES
    for series in data["series"]:
        total, years, _ = _reference(series["query"], sample_documents)
        points = {p["period"]: p["count"] for p in series["points"]}
        assert series["total"] == total == archive.search(series["query"], limit=0).total > 0
        assert sum(points.values()) == total
        assert {k: v for k, v in points.items() if v and k != "undated"} == dict(years)
        assert points.get("undated", 0) == total - sum(years.values())
    periods = [[p["period"] for p in s["points"] if p["period"] != "undated"] for s in data["series"]]
    assert all(p == periods[0] for p in periods) and periods[0] == sorted(periods[0])  # one axis for all


def test_share_mode_divides_by_all_documents_of_each_year(client, sample_documents):
    data = client.get("/api/timeline?q=oil&q=rates&mode=share").get_json()
    _valid(data, 200)
    every = Counter(y for y in {d.content_hash: d.date[:4] for d in sample_documents if d.date}.values())
    for series in data["series"]:
        for p in series["points"]:
            if p["period"] != "undated":
                assert p["share"] == pytest.approx(p["count"] / every[p["period"]], abs=1e-6)


def test_a_year_filter_gives_months_that_still_sum_to_the_filtered_total(client, sample_documents):
    total, _, months = _reference("oil", sample_documents, year="2020")
    assert total > 0
    data = client.get("/api/timeline?q=oil&q=Hyesan&year=2020").get_json()
    oil = data["series"][0]
    assert data["unit"] == "month" and oil["total"] == total
    assert {p["period"]: p["count"] for p in oil["points"] if p["count"]} == dict(months)


@pytest.mark.parametrize("query", ["", "q=a&q=b&q=c&q=d&q=e", "q=oil&q=%28%28%28"])
def test_bad_requests_are_refused_with_a_reason(client, query):
    response = client.get("/api/timeline?" + query)
    assert response.status_code == 400 and response.get_json()["error"]
    _valid(response.get_json(), 400)


def test_compare_page_draws_one_line_per_query_and_a_table_with_the_totals(client, sample_documents):
    page = client.get("/timeline?q=oil&q=rates&q=%3Cscript%3E").get_data(as_text=True)
    assert page.count("<polyline") == 3 and "<script>" not in page and "&lt;script&gt;" in page
    totals = re.search(r'<tr class="total">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
    assert re.findall(r'<td class="num">(\d+)</td>', totals) == [
        str(_reference(q, sample_documents)[0]) for q in ("oil", "rates")] + ["0"]
    search = client.get("/search?q=oil").get_data(as_text=True)
    for link in ("/kwic?q=oil", "/collocates?q=oil", "/timeline?q=oil", 'href="/batch"', 'href="/saved"'):
        assert link in search


def test_equal_series_are_drawn_side_by_side_not_on_top_of_each_other(client, sample_documents):
    """Two queries with the same counts in every period (one word, two spellings of its case) draw
    two lines a few units apart, both inside the chart, not one line hiding the other."""
    page = client.get("/timeline?q=oil&q=OIL").get_data(as_text=True)
    lines = re.findall(r'<polyline class="series" points="([^"]+)"', page)
    assert len(lines) == 2
    first, second = ([tuple(float(v) for v in xy.split(",")) for xy in line.split()] for line in lines)
    assert [x for x, _ in first] == [x for x, _ in second]
    assert all(0 < abs(a - b) <= 3.0 and 0 <= b <= 200 for (_, a), (_, b) in zip(first, second, strict=True))
