"""Whoosh, a local Sphinx cluster and SQLite FTS5 side by side: the same documents, the same fixed queries.

    python bench/cluster.py                                  # Reuters (19k documents): all three engines
    python bench/cluster.py --corpus reuters100k             # Reuters scaled to 100k
    python bench/cluster.py --million                        # cluster and FTS5 only, ~1,000,000 documents
    python bench/cluster.py --corpus bbc --docs 2000 --queries 10 --passes 1    # development

The cluster runs on this machine: one searchd per shard plus a coordinator holding the distributed
index, on free loopback ports in 30000-39999, started and stopped (by their pid files) here.
Ingest is `archive ingest` for Whoosh and for the cluster (cleaning included); FTS5 builds from
the same cleaned documents (`bench/fts.py`). In `--million` mode the documents are Reuters, cleaned
once, and varied copies of them made from the cleaned text (as `bench/corpora.py` scales Reuters),
written to the cluster through `SphinxEngine.write` in batches and to FTS5 from the same documents.
See bench/README.md, "Cluster vs Whoosh vs FTS5".
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run as a script: the bench modules import each other by name

import corpora  # noqa: E402
import engines  # noqa: E402
from fts import FTS, Spec  # noqa: E402
from measure import clean_pass, dir_bytes, latencies, rss_mb, run_child, summary  # noqa: E402
from report import _fmt, finish, table  # noqa: E402
from run import build_corpus, pick_queries  # noqa: E402
from sphinx_local import LocalCluster  # noqa: E402

from archive.archive import Archive  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.documents import Document, SearchResult, content_hash, document_id  # noqa: E402
from archive.ingest.extract import extract_file  # noqa: E402

log = logging.getLogger("bench.cluster")
ENGINES = ("whoosh", "sphinx", "fts5")
HEADS = {"whoosh": "Whoosh", "sphinx": "Sphinx cluster", "fts5": "FTS5"}


# wait4's ru_maxrss survives exec: a child forked from a large parent reports the parent's size.
# The child's own VmHWM (its memory after exec) is written to stderr at exit instead.
_HWM = ("import atexit, sys\n"
        "def _hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            sys.stderr.write('\\nbench-vmhwm-kb ' + line.split()[1] + '\\n')\n"
        "atexit.register(_hwm)\n")
_INGEST = _HWM + "from archive.cli import cli\nsys.exit(cli())\n"
_FTS = _HWM + "sys.path.insert(0, sys.argv.pop(1))\nimport fts\nfts.main(sys.argv[1:])\n"


def _own_peak(stderr: str) -> float:
    """Return the child's own peak RSS in MB, from the line _HWM wrote."""
    kb = [line.split()[1] for line in stderr.splitlines() if line.startswith("bench-vmhwm-kb ")]
    return int(kb[-1]) / 1024 if kb else float("nan")


def _ingest_cli(corpus: Path, extra: list[str]) -> dict:
    """Run `archive ingest` in its own process; return seconds, CPU seconds and peak RSS."""
    run = run_child([sys.executable, "-c", _INGEST, "ingest", *extra, "--json", str(corpus)])
    if run.returncode not in (0, 1):
        raise RuntimeError(f"archive ingest failed ({run.returncode}): {run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    return {"seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "peak_rss_mb": _own_peak(run.stderr),
            "added": report["added"]}


def _fts_build(docs: Path, db: Path) -> dict:
    run = run_child([sys.executable, "-c", _FTS, str(BENCH), "build", str(docs), str(db)])
    if run.returncode:
        raise RuntimeError(f"FTS5 build failed: {run.stderr[-2000:]}")
    return {"seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "peak_rss_mb": _own_peak(run.stderr),
            "documents": json.loads(run.stdout)["documents"], "bytes": dir_bytes(db)}


def build_all(folder: Path, work: Path, cluster: LocalCluster) -> dict:
    """Clean once for FTS5 (timed); `archive ingest` into Whoosh and into the cluster; FTS5 from the cleaned text."""
    work.mkdir(parents=True, exist_ok=True)
    clean = clean_pass(folder, work / "docs.jsonl")
    n = clean["documents"]
    log.info("%d documents cleaned in %.1f s; Whoosh ingest", n, clean["seconds"])
    shutil.rmtree(work / "index", ignore_errors=True)
    whoosh = _ingest_cli(folder, ["--index", str(work / "index")])
    whoosh["bytes"] = dir_bytes(work / "index")
    log.info("Whoosh: %.1f s; cluster ingest", whoosh["seconds"])
    shutil.rmtree(work / "sphinx-index", ignore_errors=True)
    cfg = cluster.config_file(work / "sphinx-index", work / "cluster.toml")
    cpu0 = cluster.cpu_seconds()
    sphinx = _ingest_cli(folder, ["--config", str(cfg)])
    sphinx["daemon_cpu_seconds"] = cluster.cpu_seconds() - cpu0
    sphinx["bytes"] = cluster.index_bytes()
    log.info("cluster: %.1f s; FTS5 build", sphinx["seconds"])
    fts = _fts_build(work / "docs.jsonl", work / "fts.db")
    fts["seconds"] += clean["seconds"]  # FTS5 has no cleaning of its own: ours feeds it
    fts["cpu_seconds"] += clean["cpu_seconds"]
    out = {"documents": n, "clean_seconds": clean["seconds"], "whoosh": whoosh, "sphinx": sphinx, "fts5": fts}
    for name in ENGINES:
        e = out[name]
        e["docs_per_s"] = n / e["seconds"]
        e["docs_per_cpu_s"] = n / (e["cpu_seconds"] + e.get("daemon_cpu_seconds", 0))
    return out


def varied_copies(base: list[Document], target: int) -> Iterator[Document]:
    """Yield the cleaned base documents, then varied copies of them, up to `target` documents.

    The variation is bench/corpora.py's (a few frequent words swapped, one paragraph's
    sentences shuffled, a "(Copy k.)" mark when that repeats an earlier copy), applied to the
    cleaned text, so the copies need no cleaning pass of their own.
    """
    seen: dict[int, set[int]] = {}
    written, copy = 0, 0
    while written < target:
        for i, doc in enumerate(base):
            if written >= target:
                return
            story = corpora.Story(i, doc.date, doc.source, doc.title, doc.text.split("\n\n"))
            paras = story.paragraphs if copy == 0 else corpora.vary(story, copy)
            paras = corpora._distinct(story, copy, paras, seen.setdefault(i, set()))
            if copy:
                rel = f"{doc.relpath.rsplit('.', 1)[0]}-c{copy}.txt"
                text = "\n\n".join(paras)
                doc = dataclasses.replace(doc, id=document_id(doc.collection, rel), relpath=rel,
                                          path=doc.path.rsplit(".", 1)[0] + f"-c{copy}.txt", text=text,
                                          content_hash=content_hash(doc.title + "\n" + text))
            yield doc
            written += 1
        copy += 1


def build_million(args: argparse.Namespace, work: Path, cluster: LocalCluster) -> dict:
    """Clean Reuters once, then write it and its varied copies to the cluster (in batches) and to FTS5."""
    from archive.engine.sphinx.engine import SphinxEngine

    # A small run (development, the smoke test) cleans a fifth of its documents and copies them.
    folder = corpora.build_reuters(args.corpus_dir, None if args.docs >= 20_000 else max(10, args.docs // 5))
    files = sorted(folder.rglob("*.txt"))
    start, cpu = time.perf_counter(), time.process_time()
    base = [extract_file(p, collection=folder.name, root=folder) for p in files]
    clean = {"documents": len(base), "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}
    log.info("%d Reuters documents cleaned in %.1f s; writing %d documents", len(base), clean["seconds"], args.docs)
    shutil.rmtree(work / "sphinx-index", ignore_errors=True)
    engine = SphinxEngine.create(work / "sphinx-index", cluster.spec)
    gen = write = write_cpu = 0.0
    cpu0, n = cluster.cpu_seconds(), 0
    docs_iter = varied_copies(base, args.docs)
    try:
        with open(work / "docs.jsonl", "w", encoding="utf-8") as out:
            while True:
                t = time.perf_counter()
                batch = [d for _, d in zip(range(args.batch), docs_iter)]
                for d in batch:
                    out.write(json.dumps({"id": d.id, "title": d.title, "text": d.text, "source": d.source.lower(),
                                          "date": d.date, "lang": d.language, "hash": d.content_hash}) + "\n")
                t2, c2 = time.perf_counter(), time.process_time()
                gen += t2 - t
                if not batch:
                    break
                engine.write(batch)
                write += time.perf_counter() - t2
                write_cpu += time.process_time() - c2
                n += len(batch)
                if n % (args.batch * 25) == 0:
                    log.info("%d documents written (%.0f docs/s)", n, n / write)
    finally:
        engine.close()
    sphinx = {"seconds": write, "cpu_seconds": write_cpu, "daemon_cpu_seconds": cluster.cpu_seconds() - cpu0,
              "added": n, "bytes": cluster.index_bytes(), "peak_rss_mb": rss_mb(os.getpid())["peak_rss_mb"],
              "generate_seconds": gen}
    fts = _fts_build(work / "docs.jsonl", work / "fts.db")
    out = {"documents": n, "clean_seconds": clean["seconds"], "base_documents": len(base), "sphinx": sphinx,
           "fts5": fts, "pre_cleaned": True}
    for name in ("sphinx", "fts5"):
        e = out[name]
        e["docs_per_s"] = n / e["seconds"]
        e["docs_per_cpu_s"] = n / (e["cpu_seconds"] + e.get("daemon_cpu_seconds", 0))
    return out


def query_side(work: Path, cluster: LocalCluster, specs: list[Spec], passes: int, whoosh: bool) -> dict:
    """Top 10 with snippets and exact totals on each engine, interleaved query by query; then memory."""
    opened: dict = {}
    if whoosh:
        opened["whoosh"] = Archive(Settings(index=work / "index"))
    opened["sphinx"] = Archive(cluster.settings(work / "sphinx-index"))
    fts = FTS(work / "fts.db")
    cases = {name: (lambda s, a=a: _ours(a.search(s.ours, limit=10, facets=False))) for name, a in opened.items()}
    cases["fts5"] = lambda s: (fts.search(s, limit=10, snippets=True)[0], False)
    per_query = {s.ours: {"kind": s.kind, **{k: {"ms": []} for k in cases}} for s in specs}
    try:
        for a in opened.values():
            a.search("warmup", limit=10)  # opens the searcher / connections once, as a server would
        fts.vocabulary()
        for _ in range(passes):
            for spec in specs:
                for name, fn in cases.items():
                    box: list = []
                    ms = latencies(lambda box=box, fn=fn, spec=spec: box.append(fn(spec)), 1)[0]
                    per_query[spec.ours][name]["ms"].append(ms)
                    per_query[spec.ours][name]["total"], per_query[spec.ours][name]["partial"] = box[0]
        memory = {"daemons_rss_mb": cluster.rss(), "python_rss_mb": rss_mb(os.getpid())["rss_mb"]}
    finally:
        fts.close()
        for a in opened.values():
            a.close()
    overall = {k: summary([ms for q in per_query.values() for ms in q[k]["ms"]]) for k in cases}
    return {"overall": overall, "per_query": per_query, "memory": memory}


def _ours(result: SearchResult) -> tuple[int, bool]:
    return result.total, bool(result.partial)


def disagreements(search: dict) -> list[str]:
    """Return a line for each query whose Whoosh and Sphinx totals differ (or either is partial)."""
    out = []
    for q, r in search["per_query"].items():
        if "whoosh" not in r:
            continue
        w, s = r["whoosh"], r["sphinx"]
        if w["total"] != s["total"] or w["partial"] != s["partial"]:
            out.append(f"{q!r}: Whoosh {w['total']:,}{' (partial)' if w['partial'] else ''} vs Sphinx "
                       f"{s['total']:,}{' (partial)' if s['partial'] else ''}")
    return out


def render(res: dict) -> str:
    """Return the printed table: figures, per-query totals and disagreements."""
    b, s = res["build"], res["search"]
    names = [n for n in ENGINES if n in b]
    head = ("figure", *[HEADS[n] + (f" ({res['shards']} shards)" if n == "sphinx" else "") for n in names])
    how = "pre-cleaned, SphinxEngine.write / fts.py build" if b.get("pre_cleaned") else "cleaning included"
    rows = [("documents", *[_fmt(b[n].get("added", b[n].get("documents"))) for n in names]),
            (f"ingest docs/s, {how}", *[_fmt(b[n]["docs_per_s"]) for n in names]),
            ("ingest docs per CPU-second (cluster: client + daemons)", *[_fmt(b[n]["docs_per_cpu_s"]) for n in names]),
            ("ingest process peak RSS MB", *[_fmt(b[n]["peak_rss_mb"]) for n in names]),
            ("index size MB", *[_fmt(b[n]["bytes"] / 1e6) for n in names])]
    for p in ("p50", "p95", "p99"):
        rows.append((f"query {p} ms, top 10 + snippets + exact total", *[_fmt(s["overall"][n][p]) for n in names]))
    dis = disagreements(s)
    if "whoosh" in names:
        rows.append(("queries whose total differs from Whoosh's", "", str(len(dis)), ""))
    mem = s["memory"]
    for role, mb in sorted(mem["daemons_rss_mb"].items(), key=lambda kv: kv[0] != "coordinator"):
        rows.append((f"searchd RSS MB after the queries: {role}", *["" if n != "sphinx" else _fmt(mb) for n in names]))
    rows.append(("searchd RSS MB, all daemons", *["" if n != "sphinx" else _fmt(sum(mem["daemons_rss_mb"].values()))
                                                 for n in names]))
    e = res["env"]
    lines = [f"Machine: {e['cpus']} cores, {e['cpu_model']}; Python {e['python']}, SQLite {e['sqlite']}, "
             f"searchd {res['searchd']}; load average at start {e['load_avg_at_start'][0]:.2f}, at end "
             f"{res['load_avg_at_end'][0]:.2f}",
             f"Corpus: {res['corpus']}; {res['queries']} queries x {res['passes']} passes, interleaved per query", "",
             table(rows, head), "",
             f"Python process RSS after the queries (this one process has every engine's reader open): "
             f"{_fmt(mem['python_rss_mb'])} MB", "", "Totals per query (distinct texts; p50 ms):", ""]
    qrows = [(r["kind"], q, *[_fmt(r[n]["total"]) + ("*" if r[n]["partial"] else "") for n in names],
              *[_fmt(sorted(r[n]["ms"])[len(r[n]["ms"]) // 2]) for n in names])
             for q, r in s["per_query"].items()]
    lines.append(table(qrows, ("kind", "query", *[HEADS[n] for n in names], *[HEADS[n] + " ms" for n in names])))
    lines.append("(* = partial)")
    if "whoosh" in names:
        lines += ["", "Whoosh vs Sphinx totals: " + ("all agree" if not dis else f"{len(dis)} differ:"), *dis]
    if b.get("pre_cleaned"):
        lines += ["", f"--million: Whoosh not run. {b['base_documents']:,} Reuters documents cleaned once "
                      f"({b['clean_seconds']:.0f} s, not in the rates); the rest are varied copies of the cleaned "
                      f"text (generation {b['sphinx']['generate_seconds']:.0f} s, not in the rates)."]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="reuters", choices=("bbc", "reuters", "reuters100k"))
    p.add_argument("--docs", type=int, help="first N documents of the corpus (--million: documents to write)")
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--queries", type=int, help="N of the fixed queries, spread over the list (default: all)")
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--million", action="store_true", help="cluster and FTS5 on ~1,000,000 pre-cleaned documents")
    p.add_argument("--batch", type=int, default=2000, help="--million: documents per SphinxEngine.write")
    p.add_argument("--work", type=Path, default=BENCH / "work", help="indexes, cluster data (git-ignored)")
    p.add_argument("--corpus-dir", type=Path, default=BENCH / "corpora")
    p.add_argument("--results", type=Path, default=BENCH / "results")
    p.add_argument("--render", type=Path, help="print the table of a saved JSON result and stop")
    args = p.parse_args(argv)
    if args.million:
        args.docs = args.docs or 1_000_000
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table; save JSON and Markdown under bench/results/."""
    args = parse_args(argv)
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    specs = pick_queries(args.queries)
    version = subprocess.run(["searchd", "--help"], capture_output=True, text=True).stdout.split("\n")[0]
    res: dict = {"env": engines.env_note(), "searchd": version.replace("Sphinx ", ""), "shards": args.shards,
                 "queries": len(specs), "passes": args.passes, "mode": "million" if args.million else "corpus",
                 "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    args.corpus_dir.mkdir(parents=True, exist_ok=True)
    if args.million:
        work = args.work / f"cluster-million-{args.docs}"
        res["corpus"] = f"Reuters + varied copies, {args.docs:,} documents (pre-cleaned)"
    else:
        folder = build_corpus(args.corpus, args.corpus_dir, args.docs)
        work = args.work / f"cluster-{folder.name}"
        res["corpus"] = f"{folder.name} ({corpora.count_files(folder):,} files)"
    work.mkdir(parents=True, exist_ok=True)
    cluster = LocalCluster(work / "cluster", args.shards)
    cluster.start()
    try:
        res["build"] = build_million(args, work, cluster) if args.million else build_all(folder, work, cluster)
        log.info("searching: %d queries x %d passes", len(specs), args.passes)
        res["search"] = query_side(work, cluster, specs, args.passes, whoosh=not args.million)
    finally:
        cluster.stop()
    path = finish(res, render, args.results, f"cluster-{res['mode']}")
    log.info("saved %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
