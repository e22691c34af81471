"""Per-corpus measurements of our archive beside the FTS5 baseline, on the same documents and queries."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from fts import FTS, Spec
from load import free_port, measure_server
from measure import archive_cli, clean_pass, dir_bytes, latencies, run_child, summary

from archive.archive import Archive
from archive.config import Settings

logger = logging.getLogger(__name__)
BENCH = Path(__file__).resolve().parent
BROAD = Spec("broad", "said", "porter", "said")  # the largest result set of the list, for facets and deep pages


PROCS = min(os.cpu_count() or 1, 4)  # indexing processes of the full build (`full_procs`)


def ingest(corpus: Path, index: Path) -> dict:
    """Full build of our index with `archive ingest --full` in its own process, on every core.

    `full_procs` comes from a config file beside the index (the setting has no flag); CPU
    seconds include the indexing processes the build forks (wait4 counts reaped children).
    """
    shutil.rmtree(index, ignore_errors=True)
    config = index.parent / "bench-archive.toml"
    config.write_text(f"full_procs = {PROCS}\n")
    run = run_child(archive_cli() + ["ingest", "--full", "--index", str(index), "--json", str(corpus)],
                    env={"ARCHIVE_CONFIG": str(config)})
    if run.returncode not in (0, 1):
        raise RuntimeError(f"archive ingest failed ({run.returncode}): {run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    return {"seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "peak_rss_mb": run.peak_rss_mb,
            "added": report["added"], "procs": PROCS,
            "failed": report["failed"] if isinstance(report["failed"], int) else len(report["failed"])}


def build_both(corpus: Path, work: Path) -> dict:
    """Clean once (timed), build ours (cleaning inside) and FTS5 (from the cleaned text); sizes too."""
    work.mkdir(parents=True, exist_ok=True)
    docs = work / "docs.jsonl"
    clean = clean_pass(corpus, docs)
    ours = ingest(corpus, work / "index")
    fts_run = run_child([sys.executable, str(BENCH / "fts.py"), "build", str(docs), str(work / "fts.db")])
    if fts_run.returncode:
        raise RuntimeError(f"FTS5 build failed: {fts_run.stderr[-2000:]}")
    fts = json.loads(fts_run.stdout)
    n = clean["documents"]
    index_s = max(ours["seconds"] - clean["seconds"], 1e-9)
    return {
        "documents": n, "clean_seconds": clean["seconds"],
        "ours": {**ours, "docs_per_s": n / ours["seconds"], "docs_per_s_no_clean": n / index_s,
                 "docs_per_cpu_s": n / ours["cpu_seconds"],
                 "bytes": dir_bytes(work / "index")},
        "fts5": {"seconds": fts_run.seconds, "insert_seconds": fts["seconds"], "peak_rss_mb": fts_run.peak_rss_mb,
                 "cpu_seconds": fts_run.cpu_seconds, "docs_per_cpu_s": n / (clean["cpu_seconds"] + fts_run.cpu_seconds),
                 "docs_per_s": n / (clean["seconds"] + fts_run.seconds), "docs_per_s_no_clean": n / fts_run.seconds,
                 "bytes": dir_bytes(work / "fts.db"), "documents": fts["documents"]},
        "corpus_bytes": dir_bytes(corpus),
    }


def nightly(corpus: Path, work: Path, full_build: dict) -> dict:
    """Incremental runs: nothing changed, then 1% of the files changed (restored afterwards)."""
    index = str(work / "index")
    same = run_child(archive_cli() + ["ingest", "--index", index, "--json", str(corpus)])
    files = sorted(corpus.rglob("*.txt"))
    changed = random.Random(1).sample(files, max(1, len(files) // 100))
    originals = {p: p.read_bytes() for p in changed}
    try:
        for p in changed:
            p.write_bytes(originals[p] + b"\nA line added by the nightly benchmark.\n")
        one = run_child(archive_cli() + ["ingest", "--index", index, "--json", str(corpus)])
    finally:
        for p, data in originals.items():
            p.write_bytes(data)
    report = json.loads(one.stdout) if one.stdout.strip() else {}
    # FTS5 has no change detection: a user of it rebuilds (clean + insert) every night.
    fts_rebuild = full_build["clean_seconds"] + full_build["fts5"]["seconds"]
    return {"unchanged_seconds": same.seconds, "changed_seconds": one.seconds,
            "unchanged_cpu_seconds": same.cpu_seconds, "changed_cpu_seconds": one.cpu_seconds,
            "changed_files": len(changed),
            "changed_updated": report.get("updated"), "full_build_seconds": full_build["ours"]["seconds"],
            "changed_share_of_full": one.seconds / full_build["ours"]["seconds"], "fts5_rebuild_seconds": fts_rebuild}


def totals(arch: Archive, fts: FTS | None, specs: list[Spec]) -> list[dict]:
    """Return each query's totals in both engines (ours counts distinct texts); ours alone without `fts`."""
    out = []
    for spec in specs:
        res = arch.search(spec.ours, limit=0, facets=False, snippets=0)
        row = {"kind": spec.kind, "query": spec.ours, "ours": res.total, "ours_partial": res.partial}
        if fts is not None:
            rows, distinct = fts.totals(spec)
            row.update({"fts5_rows": rows, "fts5_distinct": distinct, "fts5_match": fts.match_expr(spec)})
        out.append(row)
    return out


def query_latency(arch: Archive, fts: FTS | None, specs: list[Spec], passes: int) -> dict:
    """Cold latencies (no result cache exists in either) of top 10 with and without snippets."""
    cases: dict[str, Callable[[Spec], object]] = {
        "ours_snippets": lambda s: arch.search(s.ours, limit=10, facets=False),
        "ours_plain": lambda s: arch.search(s.ours, limit=10, facets=False, snippets=0),
    }
    if fts is not None:
        cases["fts5_snippets"] = lambda s: fts.search(s, limit=10, snippets=True)
        cases["fts5_plain"] = lambda s: fts.search(s, limit=10, snippets=False)
    samples: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}  # CPU ms of this process: steadier on a shared machine
    per_query: dict[str, dict[str, list[float]]] = {s.ours: {k: [] for k in cases} for s in specs}
    for _ in range(passes):
        for spec in specs:
            for name, fn in cases.items():  # interleaved, so both see the same machine load
                start = time.process_time()
                ms = latencies(lambda fn=fn, spec=spec: fn(spec), 1)[0]
                cpu[name].append((time.process_time() - start) * 1000)
                samples[name].append(ms)
                per_query[spec.ours][name].append(ms)
    return {"overall": {k: summary(v) for k, v in samples.items()},
            "overall_cpu": {k: summary(v) for k, v in cpu.items()},
            "per_query": {q: {k: sorted(v)[len(v) // 2] for k, v in d.items()} for q, d in per_query.items()}}


def facets_and_deep(arch: Archive, fts: FTS | None, passes: int) -> dict:
    """Facet counting over the broadest query, and a deep page (offset 10,000 or as deep as the corpus goes)."""
    total = arch.search(BROAD.ours, limit=0, facets=False).total
    offset = max(0, min(10_000, total - 10))
    out = {"query": BROAD.ours, "matches": total, "deep_offset": offset}
    cases: dict[str, Callable[[], object]] = {
        "facets_ours": lambda: arch.search(BROAD.ours, limit=0, facets=True),
        "deep_ours": lambda: arch.search(BROAD.ours, limit=10, offset=offset, facets=False),
    }
    if fts is not None:
        cases["facets_fts5"] = lambda: (fts.totals(BROAD), fts.facets(BROAD))
        cases["deep_fts5"] = lambda: fts.search(BROAD, limit=10, offset=offset)
    for name, fn in cases.items():
        out[name] = summary(latencies(fn, passes))
    return out


def web(work: Path, specs: list[Spec], seconds: float, with_fts: bool = True) -> dict:
    """Load /search of `archive serve` and (`with_fts`) of an FTS5 page server the same way."""
    out = {}
    port = free_port()
    paths = ["/search?" + urlencode({"q": s.ours}) for s in specs]
    args = archive_cli() + ["serve", "--index", str(work / "index"), "--port", str(port)]
    out["ours"] = measure_server(args, port, paths, seconds, work / "serve-ours.log")
    if not with_fts:
        return out
    port = free_port()
    fts_args = [sys.executable, str(BENCH / "fts.py"), "serve", str(work / "fts.db"), str(port),
                str(BENCH / "queries.txt")]
    # The FTS5 server reads the same fixed list, so /search?i=N is the same query as ours' Nth.
    all_specs = [s.ours for s in _all_specs()]
    fts_paths = ["/search?" + urlencode({"i": all_specs.index(s.ours)}) for s in specs]
    out["fts5"] = measure_server(fts_args, port, fts_paths, seconds, work / "serve-fts5.log")
    return out


def _all_specs() -> list[Spec]:
    from fts import load_queries

    return load_queries(BENCH / "queries.txt")


def search_side(work: Path, specs: list[Spec], passes: int, with_fts: bool = True) -> dict:
    """Totals, latencies, facets and deep page, with both engines (or ours alone) open in this process."""
    with Archive(Settings(index=work / "index")) as arch:
        fts = FTS(work / "fts.db") if with_fts else None
        try:
            start = time.perf_counter()
            arch.search("warmup", limit=10)  # opens the searcher once, as a server would
            if fts is not None:
                fts.vocabulary()
            out = {"open_seconds": time.perf_counter() - start, "totals": totals(arch, fts, specs)}
            out["latency"] = query_latency(arch, fts, specs, passes)
            out["facets_deep"] = facets_and_deep(arch, fts, passes)
        finally:
            if fts is not None:
                fts.close()
    return out


def env_note() -> dict:
    """Describe the machine the figures come from."""
    import platform
    import sqlite3

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "machine": platform.machine(), "load_avg_at_start": os.getloadavg(),
            "cpu_model": _cpu_model(),
            "note": "2 cores shared with other jobs; figures are noisy"}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""
