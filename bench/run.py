"""Benchmark our archive beside SQLite FTS5 on the same documents and queries; print one table, save JSON.

    python bench/run.py                 # BBC, Reuters (19k) and Reuters scaled to 100k
    python bench/run.py --quick         # BBC only, one pass, a short web load: under 2 minutes
    python bench/run.py --corpora bbc,reuters --build-only reuters100k

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run as a script: the bench modules import each other by name

import corpora  # noqa: E402
import engines  # noqa: E402
from fts import load_queries  # noqa: E402
from report import finish, render  # noqa: E402

CORPORA = ("bbc", "reuters", "reuters100k")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="BBC only, 1 pass, 5 s web load")
    p.add_argument("--corpora", help=f"comma-separated subset of {','.join(CORPORA)}")
    p.add_argument("--build-only", default="", help="corpora to generate (and count) but not index")
    p.add_argument("--limit-docs", type=int, help="use only the first N documents of each corpus")
    p.add_argument("--queries", type=int, help="use N queries spread over the list (default: all)")
    p.add_argument("--passes", type=int, help="passes over the queries (default 3; quick 1)")
    p.add_argument("--web-seconds", type=float, help="length of each web load (default 30; quick 5)")
    p.add_argument("--no-web", action="store_true", help="skip the web load")
    p.add_argument("--no-nightly", action="store_true", help="skip the incremental runs")
    p.add_argument("--work", type=Path, default=BENCH / "work", help="indexes and databases (git-ignored)")
    p.add_argument("--corpus-dir", type=Path, default=BENCH / "corpora", help="built corpora (git-ignored)")
    p.add_argument("--results", type=Path, default=BENCH / "results", help="where the JSON goes")
    p.add_argument("--render", type=Path, help="print the table of a saved JSON result and stop")
    args = p.parse_args(argv)
    default = "bbc" if args.quick else ",".join(CORPORA)
    args.corpora = [c for c in (args.corpora or default).split(",") if c]
    args.build_only = [c for c in args.build_only.split(",") if c]
    args.passes = args.passes or (1 if args.quick else 3)
    args.web_seconds = args.web_seconds if args.web_seconds is not None else (5.0 if args.quick else 30.0)
    for name in args.corpora + args.build_only:
        if name not in CORPORA:
            p.error(f"unknown corpus {name!r}")
    return args


def build_corpus(name: str, out: Path, limit: int | None) -> Path:
    """Build (or reuse) one corpus folder."""
    if name == "bbc":
        return corpora.build_bbc(out, limit)
    if name == "reuters":
        return corpora.build_reuters(out, limit)
    return corpora.build_scaled(out, target=limit or 100_000, limit=limit)


def pick_queries(n: int | None) -> list:
    """Return the fixed queries, or n of them spread evenly over the list (every kind kept when n allows)."""
    specs = load_queries(BENCH / "queries.txt")
    if not n or n >= len(specs):
        return specs
    step = len(specs) / n
    return [specs[int(i * step)] for i in range(n)]


def bench_corpus(name: str, folder: Path, args: argparse.Namespace, specs: list) -> dict:
    """Every figure for one corpus."""
    work = args.work / folder.name
    log = logging.getLogger("bench")
    log.info("%s: building both indexes from %s", name, folder)
    out: dict = {"folder": str(folder), "build": engines.build_both(folder, work)}
    log.info("%s: searching (%d queries x %d passes)", name, len(specs), args.passes)
    out["search"] = engines.search_side(work, specs, args.passes)
    if not args.no_web:
        log.info("%s: web load, %.0f s each", name, args.web_seconds)
        out["web"] = engines.web(work, specs, args.web_seconds)
    if not args.no_nightly:
        log.info("%s: nightly runs", name)
        out["nightly"] = engines.nightly(folder, work, out["build"])
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table; save the JSON; return 0."""
    args = parse_args(argv)
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    specs = pick_queries(args.queries)
    results: dict = {"mode": "quick" if args.quick else "full",
                     "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "env": engines.env_note(), "queries": len(specs), "passes": args.passes,
                     "limit_docs": args.limit_docs, "corpora": {}, "built_only": {}, "not_measured": []}
    args.corpus_dir.mkdir(parents=True, exist_ok=True)
    for name in args.build_only:
        folder = build_corpus(name, args.corpus_dir, args.limit_docs)
        results["built_only"][name] = {"folder": str(folder), "documents": corpora.count_files(folder)}
        results["not_measured"].append(f"{name} ({results['built_only'][name]['documents']:,} files) was built "
                                       "but not indexed (--build-only)")
    for name in args.corpora:
        folder = build_corpus(name, args.corpus_dir, args.limit_docs)
        results["corpora"][name] = bench_corpus(name, folder, args, specs)
    path = finish(results, render, args.results, f"bench-{results['mode']}")
    logging.getLogger("bench").info("saved %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
