"""The `archive` command on the demo corpus: ingest, search (text, JSON, count, export), stats, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from clirun import invoke as run

from archive.config import Settings
from archive.engine.whoosh.analysis import exact_words, stemmed_words
from archive.ingest import IngestReport, collections_for
from archive.ingest.extract import extract_file
from archive.ingest.walk import walk


def _corpus(paths: list[Path]) -> dict[str, tuple[list[str], list[str]]]:
    """Clean every file as ingest does; return content hash -> (exact tokens, stemmed tokens)."""
    out = {}
    settings = Settings()
    for coll in collections_for([str(p) for p in paths], settings):
        for path in walk(coll, settings, IngestReport()):
            doc = extract_file(path, collection=coll.name, root=coll.root)
            text = doc.title + "\n" + doc.text
            out[doc.content_hash] = (exact_words(doc.title) + ["\0"] + exact_words(doc.text),
                                     stemmed_words(text))
    return out


def _contains(tokens: list[str], words: list[str]) -> bool:
    return any(tokens[i : i + len(words)] == words for i in range(len(tokens) - len(words) + 1))


@pytest.fixture(scope="module")
def corpus(samples_dir, seeds_dir):
    return _corpus([samples_dir, seeds_dir])


def _search_json(index: Path, query: str, *extra: str) -> dict:
    result = run("search", "--index", str(index), "--json", query, *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("phrase", ["oil prices", "border closes", "interest rates", "the border"])
def test_phrase_total_matches_the_files(sample_index, corpus, phrase):
    words = exact_words(phrase)
    expected = sum(_contains(exact, words) for exact, _ in corpus.values())
    data = _search_json(sample_index, f'"{phrase}"', "--limit", "100")
    assert data["total"] == expected
    assert len(data["hits"]) == expected


@pytest.mark.parametrize("word", ["border", "startup", "semiconductor", "flood"])
def test_word_total_matches_the_files(sample_index, corpus, word):
    stem = stemmed_words(word)[0]
    expected = sum(stem in stems for _, stems in corpus.values())
    assert expected > 0
    assert _search_json(sample_index, word)["total"] == expected


def test_search_json_has_the_documented_shape(sample_index):
    data = _search_json(sample_index, '"border closes"')
    assert list(data) == ["query", "interpreted", "total", "total_exact", "partial", "offset", "limit",
                          "suggestion", "facets", "hits", "messages", "run", "result_hash"]
    # messages: how the query ran (issue 13: shards that did not answer); run, result_hash: issue 12
    hit = next(h for h in data["hits"] if h["path"].endswith("000_94b7117b25b8d248.txt"))
    assert list(hit) == ["id", "title", "source", "collection", "date", "url", "path", "paths", "score",
                         "snippets", "matched"]
    assert any("<mark>border closes</mark>" in s.lower() for s in hit["snippets"])


def test_search_text_output_marks_hits_and_exits_1_on_no_match(sample_index):
    result = run("search", "--index", str(sample_index), '"border closes"')
    assert result.exit_code == 0
    assert "[[border closes]]" in result.stdout.lower()
    assert "000_94b7117b25b8d248.txt" in result.stdout
    none = run("search", "--index", str(sample_index), "zzyzxnotaword")
    assert none.exit_code == 1
    assert none.stdout.startswith("0 documents")


def test_limit_and_offset_page_through_results(sample_index):
    full = _search_json(sample_index, "the", "--limit", "8")
    page2 = _search_json(sample_index, "the", "--limit", "4", "--offset", "4")
    assert [h["id"] for h in page2["hits"]] == [h["id"] for h in full["hits"][4:8]]


def test_count_and_csv_export_agree(sample_index):
    count = run("search", "--index", str(sample_index), "--count", "border")
    total = int(count.stdout)
    exported = run("search", "--index", str(sample_index), "--format", "csv", "border")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == total
    assert list(rows[0]) == ["id", "title", "source", "date", "url", "path", "score", "snippet"]
    assert "<mark>" not in rows[0]["snippet"]


def test_missing_index_exits_3_with_a_message(tmp_path):
    result = run("search", "--index", str(tmp_path / "none"), "oil")
    assert result.exit_code == 3
    assert "No index" in result.stderr


def test_unparseable_query_is_a_plain_message(sample_index):
    result = run("search", "--index", str(sample_index), "AND OR")
    assert result.exit_code == 2
    assert "nothing to search" in result.stderr
    assert "Traceback" not in result.output


def test_stats_reports_documents_sources_and_last_ingest(sample_index):
    data = json.loads(run("stats", "--index", str(sample_index), "--json").stdout)
    assert data["documents"] >= 32
    assert "Daily NK" in data["sources"]
    assert data["last_ingest"]["added"] >= 32
    assert data["index_bytes"] > 0


def test_ingest_reports_failures_and_exits_1(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text("A headline\n\nA paragraph of article text that is long enough.\n")
    (src / "empty.txt").write_text("")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    result = run("ingest", "--index", str(tmp_path / "ix"), str(src))
    assert result.exit_code == 1
    assert "1 added" in result.stderr
    assert "empty.txt: empty file" in result.stderr
    assert "binary.txt: binary content" in result.stderr


def test_ingest_py_is_the_same_command(tmp_path, samples_dir):
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, str(root / "ingest.py"), "--index", str(tmp_path / "ix"),
                           "--json", str(samples_dir)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["added"] >= 30


def test_search_into_a_closed_pipe_exits_quietly(sample_index):
    import subprocess
    import sys

    script = "from archive.cli import cli; cli()"
    proc = subprocess.Popen([sys.executable, "-c", script, "search", "--index", str(sample_index), "--limit", "50",
                             "the"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()  # read one line, then hang up as `| head -1` does
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert b"BrokenPipe" not in err and b"Traceback" not in err
