"""Batch queries: a file of queries gives documents, occurrences and years per query; bad lines are reported."""

from __future__ import annotations

import csv
import io
import json

import pytest
from clirun import invoke
from scan import Phrase, Word, aliased, counts

from archive.research.batch import BatchQuery, read_queries, run_batch, to_csv

PLAIN = 'Hyesan\n\n# a comment\n"\nmarket\n"interest rates"\n'
LABELLED = 'label,query\nHyesan,Hyesan\nbad,date:>foo\nrates,"""interest rates"""\n'
# What each query of PLAIN means, for the brute-force scan (tests/scan.py).
MEANING = {"Hyesan": aliased(Word("Hyesan")), "market": Word("market"), '"interest rates"': Phrase("interest rates")}


@pytest.mark.parametrize(("text", "expected"), [
    (PLAIN, [(1, "", "Hyesan"), (4, "", '"'), (5, "", "market"), (6, "", '"interest rates"')]),
    (LABELLED, [(2, "Hyesan", "Hyesan"), (3, "bad", "date:>foo"), (4, "rates", '"interest rates"')]),
    ("query\nHyesan\n", [(1, "", "query"), (2, "", "Hyesan")]),  # one column: plain lines
    ("Query,Label\n oil ,x\n", [(2, "x", "oil")]),
])
def test_read_queries_lines_or_csv(text, expected):
    assert [(q.line, q.label, q.query) for q in read_queries(text)] == expected


def test_batch_counts_equal_a_brute_force_scan(archive, sample_documents):
    rows = list(run_batch(archive, read_queries(PLAIN)))
    assert [(r.line, bool(r.error)) for r in rows] == [(1, False), (4, True), (5, False), (6, False)]
    for row in (r for r in rows if not r.error):
        want = counts(MEANING[row.query], sample_documents)
        assert (row.documents, row.occurrences, row.years) == (want.documents, want.occurrences, want.years), row.query
        assert want.occurrences > want.documents > 1  # the check is not vacuous


def test_batch_reports_bad_line_and_runs_the_rest(archive):
    rows = list(run_batch(archive, read_queries(LABELLED)))
    assert [(r.line, bool(r.error)) for r in rows] == [(2, False), (3, True), (4, False)]
    assert "date:>foo" in rows[1].error and rows[2].documents > 0


def test_batch_filters_apply_to_every_query(archive):
    everywhere = next(run_batch(archive, [BatchQuery(1, "", "market")]))
    one_year = next(run_batch(archive, [BatchQuery(1, "", "market")], filters="date:2022"))
    assert one_year.documents == everywhere.years["2022"] and one_year.years == {"2022": one_year.documents}


def test_batch_csv_has_one_column_per_year(archive):
    rows = list(run_batch(archive, read_queries(LABELLED)))
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][:6] == ["line", "label", "query", "documents", "occurrences", "error"]
    years = table[0][6:]
    assert years == sorted(years) and all(len(y) == 4 for y in years)
    hyesan = table[1]
    assert sum(int(n) for n in hyesan[6:]) == int(hyesan[3])


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_batch_cli(sample_index, tmp_path, fmt):
    path = tmp_path / "queries.csv"
    path.write_text(LABELLED)
    result = invoke("batch", "--index", str(sample_index), "--format", fmt, str(path))
    assert result.exit_code == 1, result.output  # one line could not run
    assert "line 3:" in result.stderr
    if fmt == "json":
        data = json.loads(result.stdout)
        assert [d["label"] for d in data] == ["Hyesan", "bad", "rates"] and data[0]["years"]
    else:
        assert list(csv.DictReader(io.StringIO(result.stdout)))[0]["label"] == "Hyesan"


def test_batch_cli_all_good_exits_0(sample_index, tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("Hyesan\nmarket\n")
    assert invoke("batch", "--index", str(sample_index), str(path)).exit_code == 0


def test_batch_upload_form(client):
    form = client.get("/batch").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'method="post"' in form
    response = client.post("/batch", data={"file": (io.BytesIO(LABELLED.encode()), "q.csv")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Line 3:" in html and html.count('class="bad"') == 1
    assert "Content-Security-Policy" in response.headers


def test_batch_upload_csv_download(client):
    response = client.post("/batch", data={"file": (io.BytesIO(b"Hyesan\nmarket\n"), "q.txt"), "format": "csv"},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert [r["query"] for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))] == ["Hyesan", "market"]


def test_batch_upload_too_large_is_refused(client):
    response = client.post("/batch", data={"file": (io.BytesIO(b"oil\n" * 100_000), "q.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
