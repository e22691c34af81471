"""Concordance: every occurrence, from the highlighter's spans; totals; sorting; CLI and web."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from archive.archive import Archive
from archive.cli import cli
from archive.config import Settings
from archive.research import kwic

QUERIES = ["Hyesan", "market", '"interest rates"', "oil OR chip*", '"border closes"~3', "혜산"]


@pytest.fixture(scope="module")
def archive(sample_index):
    with Archive(Settings(index=sample_index)) as a:
        yield a


@pytest.mark.parametrize("query", QUERIES)
def test_kwic_occurrences_equal_marks_of_document_view(archive, query):
    """Per document, the concordance lists exactly the <mark>s the document view shows."""
    per_doc: dict[str, int] = {}
    for occ in kwic.occurrences(archive, query):
        per_doc[occ.doc_id] = per_doc.get(occ.doc_id, 0) + 1
    assert per_doc, query
    for doc_id, n in per_doc.items():
        assert len(archive.matches(archive.get(doc_id), query).text_spans) == n, (query, doc_id)


@pytest.mark.parametrize("query", QUERIES)
def test_kwic_totals_agree_with_search_total(archive, query):
    totals = kwic.Totals()
    lines = list(kwic.occurrences(archive, query, totals=totals))
    assert totals.documents == archive.search(query, limit=0).total
    assert totals.occurrences == len(lines)
    assert totals.documents_with_occurrences == len({o.doc_id for o in lines})


def test_kwic_hit_is_the_marked_text_and_context_has_n_words(archive):
    for occ in kwic.occurrences(archive, "market", context=3):
        doc = archive.get(occ.doc_id)
        assert doc.text[occ.position:occ.position + len(occ.hit)] == occ.hit
        assert occ.hit.lower().startswith("market")
        assert len(occ.left.split()) <= 3 and len(occ.right.split()) <= 3
        assert doc.text[:occ.position].split()[-1:] == occ.left.split()[-1:] or not occ.left


def test_kwic_numbers_occurrences_within_each_document_in_text_order(archive):
    seen: dict[str, list[int]] = {}
    for occ in kwic.occurrences(archive, "Hyesan"):
        seen.setdefault(occ.doc_id, []).append(occ.position)
    for positions in seen.values():
        assert positions == sorted(positions)


def test_kwic_sorts_by_left_and_right_words(archive):
    lines = list(kwic.occurrences(archive, "market"))
    by_right = kwic.sort_lines(lines, "right")
    keys = [kwic._words(o.right) for o in by_right]
    assert keys == sorted(keys) and by_right != lines
    by_left = kwic.sort_lines(lines, "left")
    keys = [kwic._words(o.left)[::-1] for o in by_left]
    assert keys == sorted(keys)


def _hyesan_totals(archive) -> kwic.Totals:
    totals = kwic.Totals()
    list(kwic.occurrences(archive, "Hyesan", totals=totals))
    assert totals.occurrences > totals.documents > 1
    return totals


def test_kwic_cli_text_aligns_hits_in_one_column(sample_index, archive):
    result = CliRunner().invoke(cli, ["kwic", "--index", str(sample_index), "--order", "left", "Hyesan"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    columns = {ln.index("[") for ln in lines if not re.search(r"[\u3131-\uD7A3]", ln)}
    assert len(columns) == 1, lines[:5]
    totals = _hyesan_totals(archive)
    assert f"{totals.occurrences} occurrences in {totals.documents} documents" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_kwic_cli_streams_every_occurrence(sample_index, archive, fmt):
    result = CliRunner().invoke(cli, ["kwic", "--index", str(sample_index), "--format", fmt, "market"])
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    else:
        rows = [json.loads(ln) for ln in result.stdout.splitlines()]
    totals = kwic.Totals()
    expected = list(kwic.occurrences(archive, "market", totals=totals))
    assert len(rows) == totals.occurrences == len(expected)
    assert [r["hit"] for r in rows] == [o.hit for o in expected]


def test_kwic_cli_no_match_exits_1(sample_index):
    result = CliRunner().invoke(cli, ["kwic", "--index", str(sample_index), "zzyzxqq"])
    assert result.exit_code == 1
    assert "0 occurrences" in result.stderr


def test_kwic_page_counts_and_links(client, archive):
    page = client.get("/search?q=Hyesan").get_data(as_text=True)
    assert 'href="/kwic?q=Hyesan"' in page
    html = client.get("/kwic?q=Hyesan").get_data(as_text=True)
    n = _hyesan_totals(archive).occurrences
    assert re.search(rf'id="kwic-occurrences">{n}<', html)
    assert html.count("<mark>") == n
    assert "/doc/" in html and "#hit-1" in html


def test_kwic_download_has_every_occurrence(client, archive):
    response = client.get("/kwic.csv?q=market")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == sum(1 for _ in kwic.occurrences(archive, "market"))


def test_kwic_page_reports_bad_query(client):
    response = client.get('/kwic?q="')
    assert response.status_code == 200
    assert "nothing to search for" in response.get_data(as_text=True)
