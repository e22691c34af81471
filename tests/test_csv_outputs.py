"""Every CSV the archive produces is safe to open in a spreadsheet, and names documents by relpath.

A document written by a stranger can begin its title or a sentence with `=`, `+`, `-`, `@`, a
tab or a carriage return; a spreadsheet would run such a cell as a formula. Each output is read
back with the csv module, as a spreadsheet would, and no cell may start a formula.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from clirun import run
from serving import app_on

from archive.config import Settings
from archive.csvout import FORMULA_START, safe_cell
from archive.ingest import ingest

TITLE = '=HYPERLINK("http://evil.example/","Hyesan report")'
TEXT = (f"{TITLE}\n\n@SUM(1+1) smuggling rose along the river this spring, traders said on Monday.\n\n"
        "-2+3 smuggling routes were closed by the border guards in the north.\n")


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("csv")
    folder = root / "hostile"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "formula.txt").write_text(TEXT)
    index = root / "index"
    report = ingest([str(folder)], Settings(index=index))
    assert report.added == 1, report.summary()
    return index


@pytest.fixture(scope="module")
def hostile_client(hostile_index):
    with app_on(Settings(index=hostile_index)) as app:
        yield app.test_client()


def _cells(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    for row in rows:
        for name, cell in row.items():
            assert not str(cell).startswith(FORMULA_START), (name, cell)
    return rows


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("oil", "oil"), (3.5, 3.5), (-2, -2), ("", ""),
])
def test_safe_cell_neutralises_formula_starts(value, safe):
    assert safe_cell(value) == safe


def test_cli_search_csv_cells_are_text_and_paths_relative(hostile_index):
    done = run("search", "--format", "csv", "smuggling", index=hostile_index)
    assert done.returncode == 0, done.stderr
    (row,) = _cells(done.stdout)
    assert row["title"] == "'" + TITLE
    assert row["snippet"].startswith("'@SUM")
    assert row["path"] == "2024/formula.txt"
    assert str(hostile_index.parent) not in done.stdout


def test_cli_search_jsonl_names_the_relative_path(hostile_index):
    done = run("search", "--format", "jsonl", "smuggling", index=hostile_index)
    assert json.loads(done.stdout)["path"] == "2024/formula.txt"


def test_cli_kwic_csv_cells_are_text(hostile_index):
    done = run("kwic", "--format", "csv", "smuggling", index=hostile_index)
    assert done.returncode == 0, done.stderr
    rows = _cells(done.stdout)
    assert [r["left"].strip() for r in rows] == ["'@SUM(1+1)", "river this spring, traders said on Monday. -2+3"]


def test_cli_batch_csv_cells_are_text(hostile_index, tmp_path):
    queries = tmp_path / "queries.csv"
    queries.write_text('query,label\nsmuggling,=cmd()\n"-smuggling",@x\n')
    done = run("batch", str(queries), index=hostile_index)
    assert done.returncode == 0, done.stderr
    rows = _cells(done.stdout)
    assert [(r["label"], r["query"]) for r in rows] == [("'=cmd()", "smuggling"), ("'@x", "'-smuggling")]


def test_web_concordance_csv_cells_are_text(hostile_client):
    response = hostile_client.get("/kwic.csv?q=smuggling")
    assert response.status_code == 200
    rows = _cells(response.get_data(as_text=True))
    assert rows[0]["title"] == "'" + TITLE and rows[0]["left"].strip() == "'@SUM(1+1)"


def test_web_batch_csv_cells_are_text(hostile_client):
    response = hostile_client.post("/batch", data={"queries": "query,label\nsmuggling,+44 list\n", "format": "csv"})
    assert response.status_code == 200
    (row,) = _cells(response.get_data(as_text=True))
    assert row["label"] == "'+44 list"


def test_web_export_csv_cells_are_text_and_paths_relative(hostile_client, hostile_index):
    response = hostile_client.get("/export.csv?q=smuggling")
    text = response.get_data(as_text=True)
    (row,) = _cells(text)
    assert row["title"] == "'" + TITLE and row["path"] == "2024/formula.txt"
    assert str(hostile_index.parent) not in text


def test_web_export_jsonl_names_the_relative_path(hostile_client, hostile_index):
    text = hostile_client.get("/export.jsonl?q=smuggling").get_data(as_text=True)
    assert json.loads(text)["path"] == "2024/formula.txt"
    assert str(hostile_index.parent) not in text
