"""Run ids, tombstones and citable result sets: a permalink opened after later runs tells what changed."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from indexes import build_index
from needs import demo_settings

from archive.archive import Archive
from archive.research.cite import cite, compare

NEW_DOC = """Hyesan smugglers return as border guards rotate

Traders in Hyesan said smugglers were back on the river bank this week after a rotation of border guards.
"""


def _ingest(corpus: Path, index: Path, **kw) -> str:  # type: ignore[no-untyped-def]
    return build_index([corpus], index, **kw).run_id


def _ids(index: Path, query: str) -> list[str]:
    with Archive(demo_settings(index)) as a:
        return [i for i, _ in a.listing(query)]


def test_runs_have_ids_and_documents_record_their_run(ser_corpus, index_dir):
    first = _ingest(ser_corpus, index_dir)
    (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    second = _ingest(ser_corpus, index_dir)
    assert (first, second) == ("000001", "000002")
    with Archive(demo_settings(index_dir)) as a:
        runs = a.runs()
        assert [r.id for r in runs] == [first, second] and all(r.finished for r in runs)
        assert runs[1].added == 1
        runs_of = {a.get(i).relpath: a.get(i).run_id for i, _ in a.listing("*")}
    assert runs_of.pop("2026-01-01-new.txt") == second
    assert set(runs_of.values()) == {first}


def test_full_rebuild_keeps_run_ids_of_unchanged_documents_and_the_run_log(ser_corpus, index_dir):
    first = _ingest(ser_corpus, index_dir)
    third_file = sorted(ser_corpus.iterdir())[2]
    # A sentence added inside the article's first paragraph (a line added after the closing promos
    # would be cleaned away as boilerplate, and the text would not change).
    third_file.write_text(third_file.read_text().replace(". ", ". A sentence was added here later. ", 1))
    full = _ingest(ser_corpus, index_dir, full=True)
    with Archive(demo_settings(index_dir)) as a:
        assert [r.id for r in a.runs()] == [first, full]
        changed = {a.get(i).relpath: a.get(i).run_id for i, _ in a.listing("*")}
    assert changed.pop(third_file.name) == full
    assert set(changed.values()) == {first}


def test_permalink_same_set_after_a_run_that_changes_nothing(ser_corpus, index_dir):
    _ingest(ser_corpus, index_dir)
    with Archive(demo_settings(index_dir)) as a:
        cited = cite(a, "Hyesan", "newest")
    _ingest(ser_corpus, index_dir)
    with Archive(demo_settings(index_dir)) as a:
        result = compare(a, cited)
    assert result.same and result.now.run != cited.run


def test_permalink_lists_added_and_removed_documents_from_tombstones(ser_corpus, index_dir):
    _ingest(ser_corpus, index_dir)
    with Archive(demo_settings(index_dir)) as a:
        cited = cite(a, "Hyesan", "newest")
    before = _ids(index_dir, "Hyesan")
    (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    (ser_corpus / "2025-03-19-trucks-return-to-hyesan-bridge.txt").unlink()
    (ser_corpus / "2022-08-25-bank-of-korea-raises-interest-rates-won-slides.txt").unlink()  # not a Hyesan result
    _ingest(ser_corpus, index_dir)
    with Archive(demo_settings(index_dir)) as a:
        result = compare(a, cited)
    after = _ids(index_dir, "Hyesan")
    assert not result.same and not result.same_documents
    assert [d.relpath for d in result.added] == ["2026-01-01-new.txt"]
    assert [d.relpath for d in result.removed] == ["2025-03-19-trucks-return-to-hyesan-bridge.txt"]
    assert set(after) == set(before) - {result.removed[0].id} | {result.added[0].id}
    # The set rebuilt from run ids and tombstones is the one that was cited.
    with Archive(demo_settings(index_dir)) as a:
        rebuilt = {i for i, run in a.listing("Hyesan") if run <= cited.run} | {d.id for d in result.removed}
        stones = a.tombstones()
    assert rebuilt == set(before)
    assert sorted((t.doc.relpath, t.run_id, t.deleted_run) for t in stones) == [
        ("2022-08-25-bank-of-korea-raises-interest-rates-won-slides.txt", "000001", "000002"),
        ("2025-03-19-trucks-return-to-hyesan-bridge.txt", "000001", "000002")]


HYESAN = ("hyesan", "혜산", "惠山")  # the name and its aliases (samples/aliases.toml)


def _texts_hash_by_scan(index: Path, words: tuple[str, ...] = HYESAN) -> tuple[str, int]:
    """The citation hash computed apart from the search: every stored document read one by one,
    those whose title or text holds one of the words kept, their content hashes sorted, SHA-256 over them."""
    with Archive(demo_settings(index)) as a:
        docs = [a.get(i) for i, _ in a.listing("*")]
    hashes = sorted({d.content_hash for d in docs
                     if any(w in (d.title + "\n" + d.text).casefold() for w in words)})
    digest = hashlib.sha256("".join(h + "\n" for h in hashes).encode()).hexdigest()
    return "t" + digest[:12], len(hashes)


def _cli_json(index: Path, *args: str) -> dict:
    proc = subprocess.run([str(Path(sys.executable).parent / "archive"), "search", "--index", str(index), "--json",
                           *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_search_json_carries_run_and_the_hash_of_the_texts_it_matches(ser_corpus, index_dir):
    run = _ingest(ser_corpus, index_dir)
    data = _cli_json(index_dir, "--limit", "1", "Hyesan")
    expected, texts = _texts_hash_by_scan(index_dir)
    assert texts >= 2 and data["total"] == texts
    assert data["run"] == run
    assert data["result_hash"] == expected
    # The set, not its order: every sort and page of the same query cites the same set.
    assert _cli_json(index_dir, "--sort", "newest", "--limit", "3", "Hyesan")["result_hash"] == expected
    assert _cli_json(index_dir, "--offset", "1", "Hyesan")["result_hash"] == expected
    assert _cli_json(index_dir, "interest")["result_hash"] != expected
    assert list(data)[:10] == ["query", "interpreted", "total", "total_exact", "partial", "offset", "limit",
                               "suggestion", "facets", "hits"]


def test_api_and_cli_cite_the_same_set_and_a_new_matching_text_changes_the_hash(ser_corpus, index_dir, make_app):
    from serving import served

    _ingest(ser_corpus, index_dir)
    with served(make_app(index_dir)) as base:
        def api() -> dict:
            with urllib.request.urlopen(f"{base}/api/search?q=Hyesan&limit=2") as r:
                return json.loads(r.read())

        before = api()
        assert before["result_hash"] == _cli_json(index_dir, "Hyesan")["result_hash"] == \
            _texts_hash_by_scan(index_dir)[0]
        _ingest(ser_corpus, index_dir)  # a run that changes nothing: the same set, the same hash
        assert api()["result_hash"] == before["result_hash"]
        (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
        _ingest(ser_corpus, index_dir)
        after = api()
        assert after["total"] == before["total"] + 1
        assert after["result_hash"] == _texts_hash_by_scan(index_dir)[0] != before["result_hash"]


def test_a_permalink_with_an_older_hash_of_ordered_ids_still_opens_as_the_same_set(ser_corpus, index_dir, make_app):
    _ingest(ser_corpus, index_dir)
    old = hashlib.sha256("\n".join(_ids(index_dir, "Hyesan")).encode()).hexdigest()[:12]  # how hashes were made
    client = make_app(index_dir).test_client()
    page = client.get(f"/cite?q=Hyesan&run=000001&h={old}").get_data(as_text=True)
    assert "is the same" in page


def test_cite_page_redirects_to_permalink_then_reports_a_change(ser_corpus, index_dir, make_app):
    _ingest(ser_corpus, index_dir)
    client = make_app(index_dir).test_client()
    response = client.get("/cite?q=Hyesan&sort=newest")
    assert response.status_code == 302
    permalink = response.headers["Location"]
    assert "run=000001" in permalink and "&h=" in permalink
    assert "is the same" in client.get(permalink).get_data(as_text=True)
    (ser_corpus / "2026-01-01-new.txt").write_text(NEW_DOC)
    _ingest(ser_corpus, index_dir)
    page = client.get(permalink).get_data(as_text=True)
    assert "has changed" in page and "Hyesan smugglers return" in page
