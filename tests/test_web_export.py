"""Downloads: every result of a search (not one page), streamed as CSV or JSON Lines, with the query and time."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

COLUMNS = ["id", "title", "source", "date", "url", "path", "score", "snippet", "query", "exported_at"]




def all_ids(client, q: str, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    data = client.get("/api/search", query_string={"q": q, "limit": 100, **filters}).get_json()
    assert data["total"] <= 100
    return [h["id"] for h in data["hits"]]


def test_csv_has_every_result_with_the_query_and_time(client):
    before = datetime.now(UTC).replace(microsecond=0)
    response = client.get("/export.csv", query_string={"q": "oil", "source": "Valley Courier"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == COLUMNS
    ids = all_ids(client, "oil", source="Valley Courier")
    assert [r["id"] for r in rows] == ids and len(ids) > 1
    assert {r["query"] for r in rows} == {'source:"Valley Courier" (oil)'}
    stamp = datetime.fromisoformat(rows[0]["exported_at"])
    assert before <= stamp <= datetime.now(UTC)
    assert all("<mark>" not in r["snippet"] and "&amp;" not in r["snippet"] for r in rows)
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="archive-oil-\d{8}T\d{6}Z\.csv"', disposition)


def test_jsonl_rows_match_the_csv_rows(client):
    params = {"q": "the", "sort": "relevance"}
    lines = client.get("/export.jsonl", query_string=params).get_data(as_text=True).splitlines()
    rows = [json.loads(line) for line in lines]
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/export.csv", query_string=params).get_data(as_text=True))))
    assert [r["id"] for r in rows] == [r["id"] for r in csv_rows] == all_ids(client, "the")
    assert list(rows[0]) == COLUMNS and rows[0]["query"] == "the"
    assert all(isinstance(r["score"], float) for r in rows)


def test_export_of_a_bad_or_missing_query_is_not_a_file(client):
    assert client.get("/export.csv", query_string={"q": "AND OR"}).status_code == 400
    assert client.get("/export.csv").status_code == 404
    assert client.get("/export.xlsx", query_string={"q": "oil"}).status_code == 404


def test_export_of_no_results_is_a_header_only(client):
    text = client.get("/export.csv", query_string={"q": "zzyzxnotaword"}).get_data(as_text=True)
    assert text.strip() == ",".join(COLUMNS)


def test_an_export_out_of_time_ends_with_a_row_that_says_so(make_app, sample_index):
    client = make_app(sample_index, EXPORT_SECONDS=0).test_client()
    lines = client.get("/export.jsonl", query_string={"q": "oil", "year": "2021"}).get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": "", "title": "(partial: the export stopped after 0 rows; narrow the query for the rest)",
         "partial": True, "query": "date:2021 (oil)", "exported_at": json.loads(lines[0])["exported_at"]}]
