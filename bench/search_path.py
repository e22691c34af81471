"""Micro-benchmark of the search path alone (no web, no FTS5): latency, facets, deep page, export.

    python bench/search_path.py INDEX [--queries bench/queries.txt] [--passes 3] [--json OUT]

Queries are bench/queries.txt's second column (the fixed list, committed before tuning). Each
query runs through `Archive.search` cold: no result cache; one long-lived archive, as a server.
Prints p50/p95/max for top 10 with 3 snippets and exact totals, the facet count over `said`, the
page at offset 10,000 of `said`, and a 500-hit export page; plus each query's total (so a change
that alters a total shows up).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from archive.archive import Archive
from archive.config import Settings

HERE = Path(__file__).resolve().parent


def load(path: Path) -> list[str]:
    """Return our query strings from a queries file."""
    out = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.split("\t")[1])
    return out


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


T = TypeVar("T")
CPU: list[float] = []  # CPU milliseconds of every timed call (the machine is shared: wall time is noisy)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Return (wall milliseconds, result) of one call; its CPU milliseconds go to CPU."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU.append((time.process_time() - cpu) * 1000)
    return (time.perf_counter() - start) * 1000, out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("index", type=Path)
    p.add_argument("--queries", type=Path, default=HERE / "queries.txt")
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--json", type=Path)
    p.add_argument("--per-query", action="store_true", help="print each query's worst time")
    args = p.parse_args(argv)
    queries = load(args.queries)
    out: dict = {"index": str(args.index), "queries": len(queries), "passes": args.passes}
    with Archive(Settings(index=args.index)) as arch:
        arch.search("warmup")
        times: dict[str, list[float]] = {q: [] for q in queries}
        cpu: dict[str, list[float]] = {q: [] for q in queries}
        totals: dict[str, int] = {}
        for _ in range(args.passes):
            for q in queries:
                ms, res = timed(lambda q=q: arch.search(q, limit=10, facets=False))
                times[q].append(ms)
                cpu[q].append(CPU[-1])
                totals[q] = res.total
        flat = [t for ts in times.values() for t in ts]
        out.update(p50=statistics.median(flat), p95=pct(flat, 95), max=max(flat), totals=totals)
        out.update(cpu_p50=statistics.median(CPU), cpu_p95=pct(CPU, 95), cpu_max=max(CPU))
        out["cpu_per_query"] = {q: statistics.median(ts) for q, ts in cpu.items()}
        facet = [timed(lambda: arch.search("said", limit=10, facets=True))[0] for _ in range(args.passes)]
        out["facets_said_p50"] = statistics.median(facet)
        deep = [timed(lambda: arch.search("said", limit=10, offset=10_000))[0] for _ in range(args.passes)]
        out["deep_said_10000_p50"] = statistics.median(deep)
        ms, _ = timed(lambda: sum(1 for _ in zip(range(500), arch.export("said"))))
        out["export_said_500_ms"] = ms
        if args.per_query:
            for q, ts in sorted(cpu.items(), key=lambda kv: -statistics.median(kv[1])):
                print(f"{statistics.median(ts):9.1f} ms CPU {max(times[q]):9.1f} ms wall (worst)  {totals[q]:>7,}  {q}")
    for key in ("p50", "p95", "max", "cpu_p50", "cpu_p95", "cpu_max", "facets_said_p50", "deep_said_10000_p50",
                "export_said_500_ms"):
        print(f"{key:24} {out[key]:10.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
