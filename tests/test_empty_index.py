"""An index with no documents (an empty folder ingested, or a run killed before its first commit)
answers "no documents" from every command and page, never an error."""

from __future__ import annotations

import pytest
from clirun import run
from serving import app_on

from archive.config import Settings
from archive.ingest import ingest


@pytest.fixture(scope="module")
def empty_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("empty")
    (root / "nothing").mkdir()
    index = root / "index"
    report = ingest([str(root / "nothing")], Settings(index=index))
    assert report.documents == 0
    return index


@pytest.mark.parametrize("args, expected", [
    (("search", "border"), "0 documents match"),
    (("search", "*"), "0 documents match"),
    (("search", "--count", "border"), "0"),
    (("search", "--json", "border"), '"total": 0'),
    (("search", "--format", "csv", "border"), "id,title,source,date,url,path,score,snippet"),
    (("search", "--format", "jsonl", "--sort", "newest", "border"), ""),
    (("kwic", "border"), ""),
    (("kwic", "--format", "csv", "border"), "doc_id,title"),
])
def test_empty_index_search_commands_answer_no_documents(empty_index, args, expected):
    done = run(*args, index=empty_index)
    assert done.returncode == 1, done.stderr  # nothing matched, as grep says it
    assert "error" not in done.stderr.lower(), done.stderr
    assert expected in done.stdout


@pytest.mark.parametrize("args, expected", [
    (("stats",), "documents:  0"),
    (("stats", "--json"), '"documents": 0'),
    (("check",), "0 documents"),
])
def test_empty_index_stats_and_check_report_zero_documents(empty_index, args, expected):
    done = run(*args, index=empty_index)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def test_empty_index_batch_counts_zero(empty_index, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("border\noil prices\n")
    done = run("batch", str(queries), index=empty_index)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["1,,border,0,0,", "2,,oil prices,0,0,"]


@pytest.fixture(scope="module")
def empty_client(empty_index):
    with app_on(Settings(index=empty_index)) as app:
        yield app.test_client()


@pytest.mark.parametrize("url", ["/", "/search?q=border", "/search?q=*", "/search?q=border&sort=newest",
                                 "/api/search?q=border", "/export.csv?q=border", "/export.jsonl?q=border",
                                 "/kwic?q=border", "/kwic.csv?q=border", "/batch", "/saved"])
def test_empty_index_pages_answer_200(empty_client, url):
    response = empty_client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_empty_index_search_page_says_no_documents(empty_client):
    page = empty_client.get("/search?q=border").get_data(as_text=True)
    assert "No documents match" in page
    assert empty_client.get("/api/search?q=border").get_json()["total"] == 0
