"""The benchmark runs end to end in a tiny mode and produces a well-formed table and JSON (no timings checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_prints_a_table_and_saves_json(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--limit-docs", "60", "--queries", "6",
         "--web-seconds", "1", "--work", str(tmp_path / "work"), "--corpus-dir", str(tmp_path / "corpora"),
         "--results", str(tmp_path / "results")],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout
    assert "| figure" in table and "ours/FTS5" in table
    for figure in ("ingest docs/s, cleaning included", "query p95 ms, top 10 with snippets", "web /search req/s",
                   "server RSS after load MB", "nightly, 1% changed", "deep page p50 ms", "facets p50 ms"):
        assert figure in table, figure
    [saved] = list((tmp_path / "results").glob("bench-quick-*.json"))
    results = json.loads(saved.read_text())
    bbc = results["corpora"]["bbc"]
    assert bbc["build"]["documents"] == 60
    assert bbc["build"]["fts5"]["documents"] == 60
    assert bbc["build"]["ours"]["added"] == 60
    assert len(bbc["search"]["totals"]) == 6
    for row in bbc["search"]["totals"]:
        assert row["ours"] >= 0 and row["fts5_rows"] >= row["fts5_distinct"] >= 0
    for case in ("ours_snippets", "ours_plain", "fts5_snippets", "fts5_plain"):
        assert bbc["search"]["latency"]["overall"][case]["n"] == 6
    assert bbc["web"]["ours"]["requests"] > 0 and bbc["web"]["ours"]["errors"] == 0
    assert bbc["web"]["fts5"]["requests"] > 0 and bbc["web"]["fts5"]["errors"] == 0
    assert bbc["nightly"]["changed_updated"] == 1
    # The table and the saved Markdown say the same.
    [md] = list((tmp_path / "results").glob("bench-quick-*.md"))
    assert md.read_text().strip() == table.strip()
    again = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--render", str(saved)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout.strip() == table.strip()


def test_api_beside_page_benchmark_times_both_routes_for_every_query(sample_index, tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api_page.py"), "--index", str(sample_index), "--passes", "1",
         "--label", "smoke", "--work", str(tmp_path / "work"), "--results", str(tmp_path / "results")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| figure | page `/search` | API `/api/search` | API/page |" in out.stdout
    [saved] = list((tmp_path / "results").glob("api-page-index-smoke-*.json"))
    run = json.loads(saved.read_text())["corpora"]["index"]
    queries = sum(1 for line in (ROOT / "bench" / "queries.txt").read_text().splitlines()
                  if line.strip() and not line.startswith("#"))
    assert run["errors"] == []
    assert run["routes"]["page"]["n"] == run["routes"]["api"]["n"] == queries
