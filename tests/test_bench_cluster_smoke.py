"""bench/cluster.py runs end to end on a tiny corpus and a local cluster, and prints a well-formed table.

No timings are checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from needs import tool

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cluster.py"), "--queries", "3", "--passes", "1",
         "--work", str(tmp_path / "work"), "--corpus-dir", str(tmp_path / "corpora"),
         "--results", str(tmp_path / "results"), *extra],
        capture_output=True, text=True, timeout=600,  # a bound for a hang: on 2 busy cores it took over 120 s
    )


def test_cluster_benchmark_table_has_three_engines(tmp_path):
    tool("searchd", "sphinxsearch")
    out = _run(tmp_path, "--corpus", "bbc", "--docs", "50")
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout
    header = next(line for line in table.splitlines() if line.startswith("| figure"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns == ["figure", "Whoosh", "Sphinx cluster (2 shards)", "FTS5"]
    for figure in ("ingest docs/s, cleaning included", "query p95 ms, top 10 + snippets + exact total",
                   "searchd RSS MB after the queries: coordinator", "searchd RSS MB after the queries: shard 1",
                   "queries whose total differs from Whoosh's"):
        assert figure in table, figure
    assert "Whoosh vs Sphinx totals: all agree" in table
    [saved] = list((tmp_path / "results").glob("cluster-corpus-*.json"))
    res = json.loads(saved.read_text())
    for name in ("whoosh", "sphinx", "fts5"):
        assert res["build"][name].get("added", res["build"][name].get("documents")) == 50
        assert res["search"]["overall"][name]["n"] == 3
        assert 0 < res["build"][name]["peak_rss_mb"] < 10_000  # the child's own VmHWM, not NaN
    assert len(res["search"]["per_query"]) == 3
    assert all(mb > 0 for mb in res["search"]["memory"]["daemons_rss_mb"].values())
    assert len(res["search"]["memory"]["daemons_rss_mb"]) == 3  # coordinator and two shards
    # Every daemon was stopped: no pid file is left behind.
    assert not list((tmp_path / "work").rglob("searchd.pid"))
    [md] = list((tmp_path / "results").glob("cluster-corpus-*.md"))
    assert md.read_text().strip() == table.strip()
