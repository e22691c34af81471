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

`compare`: two models of the same index (a reference, e.g. trained on every text, in the folder
`meaning/` of REFERENCE, and the copy's own, e.g. trained on a sample): the share of each
benchmark query's 10 closest texts the two have in common, and for a seeded sample of documents
with a category (the source, as in BBC; "none" left out) the share of their 10 neighbours by meaning
(other versions of a story left out, as `similar --by meaning` does) in their category.

`rows`: the bytes per document of what the model keeps of each row besides its vector (tracemalloc),
as columns (`Rows`) and, as a baseline in the same run, as one `Row` object per document with a
dict by id and a counter of copies (the layout before the columns).

    python bench/meaning.py bbc [--index /tmp/bench-meaning/bbc-index]
    python bench/meaning.py scale [--source /work/bench100k/index] [--copy /tmp/bench-meaning/index100k] [--keep-model]
    python bench/meaning.py compare REFERENCE [--copy /tmp/bench-meaning/index100k] [--model DIR] [--docs 300]
    python bench/meaning.py rows [--copy /tmp/bench-meaning/index100k]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpora import BENCH, build_bbc  # noqa: E402
from load import HOST, free_port, server  # noqa: E402
from measure import archive_cli, percentile, run_child  # noqa: E402

from archive.archive import Archive  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.errors import BadQuery  # noqa: E402
from archive.ingest import ingest  # noqa: E402
from archive.meaning import model as mm  # noqa: E402
from archive.meaning import rank  # noqa: E402
from archive.meaning import rows as mr  # noqa: E402

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


def compare(args: argparse.Namespace) -> dict:
    copy = Path(args.copy)
    models = {"reference": mm.load(Path(args.reference)), "copy": mm.load(Path(args.model or copy))}
    for name, model in models.items():
        if model is None:
            raise SystemExit(f"no meaning model for {name}")
        print(f"{name}: {model.info}")
    ref, own = models["reference"], models["copy"]
    assert ref is not None and own is not None
    texts, stories = [], []
    with Archive(Settings(index=copy)) as archive:
        for _, q in queries():
            tops = [rank.closest(m, rank.query_vector(m, q), limit=10 * K) for m in (ref, own)]
            top_texts = [{m.rows.hash_of(r) for r in t.rows[:K]} for m, t in zip((ref, own), tops)]
            texts.append(len(top_texts[0] & top_texts[1]) / K)
            top_stories = [_first_stories(archive, [m.rows[r].id for r in t.rows]) for m, t in zip((ref, own), tops)]
            stories.append(len(top_stories[0] & top_stories[1]) / K)
    out: dict = {"top10_texts": _mean(texts), "top10_texts_min": min(texts),
                 "top10_stories": _mean(stories), "top10_stories_min": min(stories)}
    print(f"{len(texts)} benchmark queries, in common between the two models' 10 closest: texts, mean "
          f"{_mean(texts):.3f} (min {min(texts):.1f}); stories (near-duplicates as one), mean {_mean(stories):.3f} "
          f"(min {min(stories):.1f})")
    with_category = [i for i in range(len(own.rows)) if own.rows.value("source", i) not in ("", "none")]
    picked = random.Random(0).sample(with_category, min(args.docs, len(with_category)))
    with Archive(Settings(index=copy)) as archive:
        for name, model in models.items():
            assert model is not None
            shares = []
            for i in picked:
                row = own.rows[i]
                found = rank.similar(archive.engine, model, row.id, K)
                if found and found[1]:
                    shares.append(sum(r.source == row.source for r in found[1]) / len(found[1]))
            out[f"{name}_related_share"] = _mean(shares)
            print(f"{name}: share of the {K} neighbours by meaning in the document's category, over "
                  f"{len(shares)} documents: {_mean(shares):.3f}")
    print(json.dumps(out))
    return out


def _first_stories(archive: Archive, ids: list[str]) -> set[str]:
    """Return the first K distinct stories of ranked documents (a document's story: its near-duplicates)."""
    labels = archive.engine.stories_of(ids)
    out: list[str] = []
    for doc_id in ids:
        story = labels.get(doc_id, (doc_id, 1))[0]
        if story not in out:
            out.append(story)
    return set(out[:K])


def rows(args: argparse.Namespace) -> dict:
    folder = Path(args.copy) / mm.FOLDER
    with np.load(folder / "rows.npz") as stored:  # as bytes: each layout makes its own strings, as a load does
        cols = {k: [bytes(v) for v in stored[k]] for k in ("id", "hash")}
        for name in mr.CODED:
            values = [str(v).encode() for v in stored[f"{name}_values"]]
            cols[name] = [values[c] if c >= 0 else b"" for c in stored[name]]
    n = len(cols["id"])
    fields = ("id", "hash", "source", "lang", "date")

    def objects() -> tuple:  # the layout before the columns: a Row each, a dict by id, copies counted
        kept = [mr.Row(*(v.decode() for v in values)) for values in zip(*(cols[k] for k in fields))]
        return kept, {r.id: i for i, r in enumerate(kept)}, Counter(r.hash for r in kept)

    def as_columns() -> mr.Rows:
        built = mr.RowsBuilder()
        for values in zip(*(cols[k] for k in fields)):
            built.add_row(*(v.decode() for v in values))
        kept = built.rows()
        kept.find(kept[0].id), kept.copies(kept[0].hash)  # their lookups, made on first use
        return kept

    out = {}
    for name, make in (("objects", objects), ("columns", as_columns)):
        tracemalloc.start()
        held = make()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name] = {"bytes_per_document": current / n, "peak_bytes_per_document": peak / n}
        print(f"{name}: {current / n:.0f} bytes per document held ({peak / n:.0f} at the peak of making them), "
              f"{n:,} documents")
        del held
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
    c = sub.add_parser("compare")
    c.add_argument("reference", help="a folder holding the reference model in meaning/")
    c.add_argument("--copy", default="/tmp/bench-meaning/index100k")
    c.add_argument("--docs", type=int, default=300)
    c.add_argument("--model", help="a folder holding the model to compare in meaning/ (default: the copy's own)")
    r = sub.add_parser("rows")
    r.add_argument("--copy", default="/tmp/bench-meaning/index100k")
    args = ap.parse_args()
    {"bbc": bbc, "scale": scale, "compare": compare, "rows": rows}[args.what](args)


if __name__ == "__main__":
    main()
