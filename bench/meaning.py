"""Search by meaning, measured: category precision on BBC, related by meaning, and the model at 100k.

`bbc`: ingests the BBC corpus (2,225 articles, one folder per category, so the source is the
category) unless the index is there; the ingest trains the meaning model. For each descriptive
query of bench/meaning_queries.json (20 per category, written for this benchmark, not taken from
the articles) it reports the share of the top 10 in the query's category, by keyword (every word
ANDed, the default search), by meaning and hybrid; a query with fewer than 10 hits counts the
missing ones as misses. Then, for every distinct text, the share of its 10 neighbours in its
category, by key terms (today's "more like this") and by meaning.

`scale`: copies a large index once (the original is only read), trains the model there as
`archive meaning build` does (wall time, CPU and peak RSS of that process; model size), then times
meaning and hybrid searches in-process and through `archive serve`'s /api/search on loopback.

    python bench/meaning.py bbc [--index /tmp/bench-meaning/bbc-index]
    python bench/meaning.py scale [--source /work/bench100k/index] [--copy /tmp/bench-meaning/index100k] [--keep-model]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpora import BENCH, build_bbc  # noqa: E402
from load import HOST, free_port, server  # noqa: E402
from measure import archive_cli, percentile, run_child  # noqa: E402

from archive.archive import Archive  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.errors import BadQuery  # noqa: E402
from archive.ingest import ingest  # noqa: E402
from archive.meaning import model as mm  # noqa: E402

K = 10
QUERIES = BENCH / "meaning_queries.json"
MODES = ("keyword", "meaning", "hybrid")


def queries() -> list[tuple[str, str]]:
    """Return (category, query) pairs."""
    data = json.loads(QUERIES.read_text())
    return [(cat, q) for cat, qs in data.items() for q in qs]


def bbc(args: argparse.Namespace) -> dict:
    settings = Settings(index=Path(args.index))
    if not (Path(args.index) / "last-ingest.json").is_file():
        report = ingest([args.bbc or str(build_bbc(BENCH / "corpora"))], settings)
        print(f"ingest: {report.documents} documents in {report.seconds:.1f} s; {report.meaning}")
    out: dict = {"queries": {}, "neighbours": {}}
    with Archive(settings) as archive:
        info = mm.info(Path(args.index))
        print(f"model: {info}")
        precision: dict[str, dict[str, list[float]]] = {m: defaultdict(list) for m in MODES}
        empty = {m: 0 for m in MODES}
        seconds = {m: 0.0 for m in MODES}
        for cat, q in queries():
            for mode in MODES:
                t = time.perf_counter()
                try:
                    hits = archive.search(q, limit=K, mode=mode, facets=True).hits
                except BadQuery:
                    hits = []
                seconds[mode] += time.perf_counter() - t
                empty[mode] += not hits
                precision[mode][cat].append(sum(h.source == cat for h in hits) / K)
        n = len(queries())
        print(f"\n{n} descriptive queries, share of the top {K} in the query's category (missing hits count as misses)")
        print("| category | " + " | ".join(MODES) + " |")
        print("|---|" + "---|" * len(MODES))
        for cat in sorted(precision["meaning"]):
            print(f"| {cat} | " + " | ".join(f"{_mean(precision[m][cat]):.3f}" for m in MODES) + " |")
        overall = {m: _mean([x for xs in precision[m].values() for x in xs]) for m in MODES}
        print("| all | " + " | ".join(f"{overall[m]:.3f}" for m in MODES) + " |")
        print("| queries with no hit | " + " | ".join(str(empty[m]) for m in MODES) + " |")
        print("| ms per query | " + " | ".join(f"{1000 * seconds[m] / n:.1f}" for m in MODES) + " |")
        out["queries"] = {"precision": overall, "empty": empty, "ms": {m: 1000 * seconds[m] / n for m in MODES}}
        docs = [(h.id, h.source) for h in archive.export("*")]
        share: dict[str, dict[str, list[float]]] = {"terms": defaultdict(list), "meaning": defaultdict(list)}
        took = {"terms": 0.0, "meaning": 0.0}
        for doc_id, cat in docs:
            for by in share:
                t = time.perf_counter()
                found = archive.similar(doc_id, K, by=by)
                took[by] += time.perf_counter() - t
                related = found[1] if found else []
                if related:
                    share[by][cat].append(sum(r.source == cat for r in related) / len(related))
        print(f"\n{len(docs)} distinct texts, share of the {K} neighbours in the same category")
        print("| category | by terms | by meaning |")
        print("|---|---|---|")
        for cat in sorted(share["meaning"]):
            print(f"| {cat} | {_mean(share['terms'][cat]):.3f} | {_mean(share['meaning'][cat]):.3f} |")
        every = {by: _mean([x for xs in share[by].values() for x in xs]) for by in share}
        print(f"| all | {every['terms']:.3f} | {every['meaning']:.3f} |")
        ms = {by: 1000 * took[by] / len(docs) for by in took}
        print(f"| ms per document | {ms['terms']:.1f} | {ms['meaning']:.1f} |")
        out["neighbours"] = every
    print(json.dumps(out))
    return out


def scale(args: argparse.Namespace) -> dict:
    copy = Path(args.copy)
    if not copy.is_dir():
        raise SystemExit(f"copy {args.source} to {copy} first (cp -r): the original is never written")
    out: dict = {}
    if not (args.keep_model and mm.info(copy)):
        build = run_child(archive_cli() + ["meaning", "build", "--index", str(copy)])
        if build.returncode:
            raise SystemExit(build.stderr)
        print(f"model build: {build.seconds:.1f} s wall, {build.cpu_seconds:.1f} s CPU, "
              f"peak RSS {build.peak_rss_mb:.0f} MB; {build.stdout.strip()}")
        out = {"build_s": build.seconds, "cpu_s": build.cpu_seconds, "peak_rss_mb": build.peak_rss_mb}
    info = mm.info(copy)
    size = mm.size(copy)
    print(f"model size: {size / 1e6:.1f} MB ({info})")
    out.update({"model_mb": size / 1e6, "documents": info.documents if info else 0})
    qs = [q for _, q in queries()]
    with Archive(Settings(index=copy)) as archive:
        archive.search(qs[0], mode="meaning")  # loads the model, as a server's first meaning search does
        for mode in ("keyword", "meaning", "hybrid"):  # keyword: the baseline, in the same run
            times, cpu = [], []
            for _ in range(args.passes):
                for q in qs:
                    t, c = time.perf_counter(), time.process_time()
                    try:
                        archive.search(q, limit=K, mode=mode)
                    except BadQuery:
                        pass
                    times.append(1000 * (time.perf_counter() - t))
                    cpu.append(1000 * (time.process_time() - c))
            out[f"{mode}_ms"] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times),
                                 "cpu_p50": percentile(cpu, 50), "cpu_p95": percentile(cpu, 95)}
            print(f"in-process {mode}: p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, "
                  f"max {max(times):.1f} ms over {len(times)} searches (top 10, facets, snippets); CPU time "
                  f"p50 {percentile(cpu, 50):.1f} ms, p95 {percentile(cpu, 95):.1f} ms; load {os.getloadavg()[0]:.1f}")
    port = free_port()
    log = Path("/tmp") / "bench-meaning-serve.log"
    with server(archive_cli() + ["serve", "--index", str(copy), "--port", str(port)], port, log):
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        for mode in ("meaning",):  # the target's path (hybrid adds a keyword search: see in-process)
            _get(conn, "/api/search?" + urlencode({"q": qs[0], "mode": mode}))
            times = []
            for _ in range(args.passes):
                for q in qs:
                    t = time.perf_counter()
                    _get(conn, "/api/search?" + urlencode({"q": q, "mode": mode}))
                    times.append(1000 * (time.perf_counter() - t))
            out[f"http_{mode}_ms"] = {"p50": percentile(times, 50), "p95": percentile(times, 95)}
            print(f"HTTP /api/search mode={mode}: p50 {percentile(times, 50):.1f} ms, "
                  f"p95 {percentile(times, 95):.1f} ms over {len(times)} requests; load {os.getloadavg()[0]:.1f}")
        conn.close()
    print(json.dumps(out))
    return out


def _get(conn: http.client.HTTPConnection, path: str) -> None:
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        raise SystemExit(f"{path}: HTTP {resp.status}")


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    b = sub.add_parser("bbc")
    b.add_argument("--index", default="/tmp/bench-meaning/bbc-index")
    b.add_argument("--bbc", help="the BBC articles (default: bench/corpora/bbc, unpacked from ../shared/corpora)")
    s = sub.add_parser("scale")
    s.add_argument("--source", default="/work/bench100k/index")
    s.add_argument("--copy", default="/tmp/bench-meaning/index100k")
    s.add_argument("--passes", type=int, default=2)
    s.add_argument("--keep-model", action="store_true", help="time searches with the model already there")
    args = ap.parse_args()
    bbc(args) if args.what == "bbc" else scale(args)


if __name__ == "__main__":
    main()
