"""Concordance: every occurrence, from the highlighter's spans; totals; sorting; CLI and web."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from clirun import invoke
from scan import AnyOf, Phrase, Prefix, Word, aliased, counts, marks

from archive.research import kwic

# Each query with what it means, for the brute-force scan (tests/scan.py).
QUERIES = {
    "Hyesan": aliased(Word("Hyesan")),
    "market": Word("market"),
    '"interest rates"': Phrase("interest rates"),
    "oil OR chip*": AnyOf((Word("oil"), Prefix("chip"))),
    '"border closes"~3': Phrase("border closes", slop=3),
    "혜산": aliased(Word("혜산")),
}


@pytest.mark.parametrize("query", QUERIES)
def test_kwic_occurrences_are_the_scans_marks_and_the_document_views(archive, query):
    """Per document, the concordance lists the matches a scan of the text finds: the view's <mark>s."""
    per_doc: dict[str, list[int]] = {}
    for occ in kwic.occurrences(archive, query):
        per_doc.setdefault(occ.doc_id, []).append(occ.position)
    assert per_doc, query
    for doc_id, positions in per_doc.items():
        doc = archive.get(doc_id)
        assert positions == [s for s, _ in marks(QUERIES[query], doc.text)], (query, doc_id)
        assert len(archive.matches(doc, query).text_spans) == len(positions), (query, doc_id)


@pytest.mark.parametrize("query", QUERIES)
def test_kwic_totals_equal_a_brute_force_scan(archive, sample_documents, query):
    totals = kwic.Totals()
    lines = list(kwic.occurrences(archive, query, totals=totals))
    want = counts(QUERIES[query], sample_documents)
    assert (totals.documents, totals.occurrences, totals.documents_with_occurrences) == (
        want.documents, want.occurrences, want.documents_with_occurrences)
    assert len(lines) == want.occurrences and totals.complete
    assert want.occurrences >= want.documents > 1  # the check is not vacuous


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


def test_kwic_cli_text_aligns_hits_in_one_column(sample_index, sample_documents):
    result = invoke("kwic", "--index", str(sample_index), "--order", "left", "Hyesan")
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    columns = {ln.index("[") for ln in lines if not re.search(r"[\u3131-\uD7A3]", ln)}
    assert len(columns) == 1, lines[:5]
    want = counts(QUERIES["Hyesan"], sample_documents)
    assert want.occurrences > want.documents > 1
    assert f"{want.occurrences} occurrences in {want.documents} documents" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_kwic_cli_streams_every_occurrence(sample_index, archive, sample_documents, fmt):
    result = invoke("kwic", "--index", str(sample_index), "--format", fmt, "market")
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    else:
        rows = [json.loads(ln) for ln in result.stdout.splitlines()]
    expected = list(kwic.occurrences(archive, "market"))
    assert len(rows) == counts(QUERIES["market"], sample_documents).occurrences == len(expected)
    assert [r["hit"] for r in rows] == [o.hit for o in expected]


def test_kwic_cli_no_match_exits_1(sample_index):
    result = invoke("kwic", "--index", str(sample_index), "zzyzxqq")
    assert result.exit_code == 1
    assert "0 occurrences" in result.stderr


def test_kwic_page_counts_and_links(client, sample_documents):
    page = client.get("/search?q=Hyesan").get_data(as_text=True)
    assert 'href="/kwic?q=Hyesan"' in page
    html = client.get("/kwic?q=Hyesan").get_data(as_text=True)
    n = counts(QUERIES["Hyesan"], sample_documents).occurrences
    assert re.search(rf'id="kwic-occurrences">{n}<', html)
    assert html.count("<mark>") == n
    assert "/doc/" in html and "#hit-1" in html


def test_kwic_download_has_every_occurrence(client, sample_documents):
    response = client.get("/kwic.csv?q=market")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == counts(QUERIES["market"], sample_documents).occurrences > 0


def test_kwic_page_reports_bad_query(client):
    response = client.get('/kwic?q="')
    assert response.status_code == 200
    assert "nothing to search for" in response.get_data(as_text=True)
