"""The JSON API beside the page, as users call them: `archive serve` on loopback, cold, with facets.

For every fixed query (bench/queries.txt) one client asks the server for the page
(`GET /search?q=…`) and for the JSON object (`GET /api/search?q=…`: default limit 10, facets,
snippets, run and result hash), one request at a time, query by query, the order of the two
alternating, for a few passes. The server keeps no result cache, so every request searches
(cold, DESIGN.md §10); its searcher stays open, as in production. Wall time per request, seen
by the client; p50/p95/p99/max per route, the API/page ratio, and the queries where the API
costs most beside the page.

    python bench/api_page.py --corpora bbc                # about a minute
    python bench/api_page.py --corpora reuters100k        # builds the 100k index first (~15 min)
    python bench/api_page.py --index bench/work/bbc/index # an index that exists already

Results are printed and saved under bench/results/api-page-<corpus>[-<label>]-<time>.{json,md}.
The server runs as `python -c "...archive.cli..."`, which puts the current folder first on
sys.path: started inside the checkout it serves the source tree, from elsewhere the installed
package (or whatever PYTHONPATH names first: how the "before" figures below were taken).
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import corpora
from fts import load_queries
from load import HOST, free_port, server
from measure import archive_cli, percentile
from report import finish

logger = logging.getLogger("bench.api_page")
BENCH = Path(__file__).resolve().parent
ROUTES = {"page": "/search?", "api": "/api/search?"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpora", nargs="+", default=["bbc"], choices=["bbc", "reuters", "reuters100k"])
    p.add_argument("--index", type=Path, help="measure this index instead of building a corpus")
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--work", type=Path, default=BENCH / "work")
    p.add_argument("--corpus-dir", type=Path, default=BENCH / "corpora")
    p.add_argument("--results", type=Path, default=BENCH / "results")
    p.add_argument("--label", default="", help="a word for the file names (e.g. before, after)")
    return p.parse_args(argv)


def index_for(name: str, args: argparse.Namespace) -> Path:
    """Return the corpus's index under the work folder, building corpus and index when missing."""
    from engines import ingest

    builders = {"bbc": corpora.build_bbc, "reuters": corpora.build_reuters, "reuters100k": corpora.build_scaled}
    folder = builders[name](args.corpus_dir)
    index = args.work / folder.name / "index"
    if not (index / "manifest.sqlite").exists() and not any(index.glob("*.toc")):
        index.parent.mkdir(parents=True, exist_ok=True)
        logger.info("%s: building the index in %s", name, index)
        ingest(folder, index)
    return index


def get(conn: http.client.HTTPConnection, path: str) -> tuple[float, int, bytes]:
    """GET one path on a kept-alive connection; return milliseconds, status and body."""
    start = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    return (time.perf_counter() - start) * 1000, resp.status, body


def measure(index: Path, passes: int, log: Path) -> dict:
    """Time the page and the API for every fixed query against one index; return the figures."""
    specs = load_queries(BENCH / "queries.txt")
    port = free_port()
    samples: dict[str, list[float]] = {r: [] for r in ROUTES}
    per_query: dict[str, dict[str, list[float]]] = {s.ours: {r: [] for r in ROUTES} for s in specs}
    errors: list[str] = []
    with server(archive_cli() + ["serve", "--index", str(index), "--port", str(port)], port, log):
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        try:
            get(conn, "/search?q=warmup")  # opens the searcher, as the first user of a server would
            for p in range(passes):
                for i, spec in enumerate(specs):
                    order = list(ROUTES) if (i + p) % 2 == 0 else list(reversed(ROUTES))
                    for route in order:
                        ms, status, body = get(conn, ROUTES[route] + urlencode({"q": spec.ours}))
                        if status != 200 and not (route == "api" and status == 400):
                            errors.append(f"{route} {status} {spec.ours}: {body[:200]!r}")
                        samples[route].append(ms)
                        per_query[spec.ours][route].append(ms)
        finally:
            conn.close()
    out = {"index": str(index), "queries": len(specs), "passes": passes, "errors": errors,
           "routes": {r: _summary(v) for r, v in samples.items()}}
    ratios = []
    for q, by in per_query.items():
        page, api = min(by["page"]), min(by["api"])  # the best of the passes: noise on a shared machine
        ratios.append({"query": q, "page_ms": page, "api_ms": api, "ratio": api / max(page, 1e-6)})
    out["worst"] = sorted(ratios, key=lambda r: -r["ratio"])[:8]
    out["sum_best_ms"] = {"page": sum(r["page_ms"] for r in ratios), "api": sum(r["api_ms"] for r in ratios)}
    return out


def _summary(v: list[float]) -> dict:
    return {"n": len(v), "p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95),
            "p99_ms": percentile(v, 99), "max_ms": max(v) if v else 0.0}


def render(results: dict) -> str:
    """Return the Markdown table of one run."""
    label = f" [{results['label']}]" if results.get("label") else ""
    lines = [f"# API beside page, cold{label} ({results['started']} – {results['finished']}, "
             f"load {results['load_avg_at_start'][0]:.1f} → {results['load_avg_at_end'][0]:.1f})", ""]
    for name, r in results["corpora"].items():
        page, api = r["routes"]["page"], r["routes"]["api"]
        lines += [f"## {name}: {r['queries']} queries x {r['passes']} passes ({r['index']})", "",
                  "| figure | page `/search` | API `/api/search` | API/page |", "|---|---|---|---|"]
        for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
            lines.append(f"| {key.replace('_ms', '')} ms | {page[key]:.1f} | {api[key]:.1f} | "
                         f"{api[key] / max(page[key], 1e-6):.2f} |")
        s = r["sum_best_ms"]
        lines.append(f"| sum of each query's best, ms | {s['page']:.0f} | {s['api']:.0f} | "
                     f"{s['api'] / max(s['page'], 1e-6):.2f} |")
        lines += ["", "Queries where the API costs most beside the page (best of the passes):", "",
                  "| query | page ms | API ms | ratio |", "|---|---|---|---|"]
        lines += [f"| `{w['query']}` | {w['page_ms']:.1f} | {w['api_ms']:.1f} | {w['ratio']:.2f} |" for w in r["worst"]]
        if r["errors"]:
            lines += ["", f"Errors: {len(r['errors'])}, e.g. {r['errors'][:3]}"]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    results: dict = {"label": args.label, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "load_avg_at_start": os.getloadavg(), "corpora": {}}
    targets = {"index": args.index} if args.index else {name: index_for(name, args) for name in args.corpora}
    args.work.mkdir(parents=True, exist_ok=True)
    for name, index in targets.items():
        logger.info("%s: page and API, %d passes", name, args.passes)
        results["corpora"][name] = measure(index, args.passes, args.work / f"serve-api-page-{name}.log")
    finish(results, render, args.results, "-".join(["api-page", *targets, *([args.label] if args.label else [])]))
    logger.info("saved %s", args.results / f"{name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
