"""Run ids, tombstones and citable result sets: a permalink opened after later runs tells what changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.archive import Archive
from archive.cli import cli
from archive.config import Settings
from archive.ingest import ingest
from archive.research.cite import Citation, cite, compare, result_hash

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
NEW_DOC = """Hyesan smugglers return as border guards rotate

Traders in Hyesan said smugglers were back on the river bank this week after a rotation of border guards.
"""


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A small collection of its own, to be changed between ingest runs."""
    folder = tmp_path / "ser"
    folder.mkdir()
    for f in (SAMPLES / "seoul-economic-review").glob("*.txt"):  # plain text: quick to ingest
        shutil.copy(f, folder / f.name)
    return folder


def _ingest(corpus: Path, index: Path, **kw) -> str:  # type: ignore[no-untyped-def]
    report = ingest([str(corpus)], Settings(index=index), **kw)
    assert not report.failed, report.summary()
    return report.run_id


def _ids(index: Path, query: str) -> list[str]:
    with Archive(Settings(index=index)) as a:
        return [i for i, _ in a.listing(query)]


def test_runs_have_ids_and_documents_record_their_run(corpus, index_dir):
    first = _ingest(corpus, index_dir)
    (corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    second = _ingest(corpus, index_dir)
    assert (first, second) == ("000001", "000002")
    with Archive(Settings(index=index_dir)) as a:
        runs = a.runs()
        assert [r.id for r in runs] == [first, second] and all(r.finished for r in runs)
        assert runs[1].added == 1
        runs_of = {a.get(i).relpath: a.get(i).run_id for i, _ in a.listing("*")}
    assert runs_of.pop("2026-01-01-new.txt") == second
    assert set(runs_of.values()) == {first}


def test_full_rebuild_keeps_run_ids_of_unchanged_documents_and_the_run_log(corpus, index_dir):
    first = _ingest(corpus, index_dir)
    third_file = sorted(corpus.iterdir())[2]
    # A sentence added inside the article's first paragraph (a line added after the closing promos
    # would be cleaned away as boilerplate, and the text would not change).
    third_file.write_text(third_file.read_text().replace(". ", ". A sentence was added here later. ", 1))
    full = _ingest(corpus, index_dir, full=True)
    with Archive(Settings(index=index_dir)) as a:
        assert [r.id for r in a.runs()] == [first, full]
        changed = {a.get(i).relpath: a.get(i).run_id for i, _ in a.listing("*")}
    assert changed.pop(third_file.name) == full
    assert set(changed.values()) == {first}


def test_permalink_same_set_after_a_run_that_changes_nothing(corpus, index_dir):
    _ingest(corpus, index_dir)
    with Archive(Settings(index=index_dir)) as a:
        cited = cite(a, "Hyesan", "newest")
    _ingest(corpus, index_dir)
    with Archive(Settings(index=index_dir)) as a:
        result = compare(a, cited)
    assert result.same and result.now.run != cited.run


def test_permalink_lists_added_and_removed_documents_from_tombstones(corpus, index_dir):
    _ingest(corpus, index_dir)
    with Archive(Settings(index=index_dir)) as a:
        cited = cite(a, "Hyesan", "newest")
    before = _ids(index_dir, "Hyesan")
    (corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    (corpus / "2025-03-19-trucks-return-to-hyesan-bridge.txt").unlink()
    (corpus / "2022-08-25-bank-of-korea-raises-interest-rates-won-slides.txt").unlink()  # not a Hyesan result
    _ingest(corpus, index_dir)
    with Archive(Settings(index=index_dir)) as a:
        result = compare(a, cited)
    after = _ids(index_dir, "Hyesan")
    assert not result.same and not result.same_documents
    assert [d.relpath for d in result.added] == ["2026-01-01-new.txt"]
    assert [d.relpath for d in result.removed] == ["2025-03-19-trucks-return-to-hyesan-bridge.txt"]
    assert set(after) == set(before) - {result.removed[0].id} | {result.added[0].id}
    # The set rebuilt from run ids and tombstones is the one that was cited.
    with Archive(Settings(index=index_dir)) as a:
        rebuilt = {i for i, run in a.listing("Hyesan") if run <= cited.run} | {d.id for d in result.removed}
        stones = a.tombstones()
    assert rebuilt == set(before)
    assert sorted((t.doc.relpath, t.run_id, t.deleted_run) for t in stones) == [
        ("2022-08-25-bank-of-korea-raises-interest-rates-won-slides.txt", "000001", "000002"),
        ("2025-03-19-trucks-return-to-hyesan-bridge.txt", "000001", "000002")]


def test_search_json_carries_run_and_result_hash(corpus, index_dir):
    run = _ingest(corpus, index_dir)
    result = CliRunner().invoke(cli, ["search", "--index", str(index_dir), "--json", "--limit", "1", "Hyesan"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["run"] == run
    assert data["result_hash"] == result_hash(_ids(index_dir, "Hyesan"))
    assert list(data)[:10] == ["query", "interpreted", "total", "total_exact", "partial", "offset", "limit",
                               "suggestion", "facets", "hits"]


def test_cite_page_redirects_to_permalink_then_reports_a_change(corpus, index_dir, make_app):
    _ingest(corpus, index_dir)
    client = make_app(index_dir).test_client()
    response = client.get("/cite?q=Hyesan&sort=newest")
    assert response.status_code == 302
    permalink = response.headers["Location"]
    assert "run=000001" in permalink and "&h=" in permalink
    assert "is the same" in client.get(permalink).get_data(as_text=True)
    (corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    _ingest(corpus, index_dir)
    page = client.get(permalink).get_data(as_text=True)
    assert "has changed" in page and "Hyesan smugglers return" in page
