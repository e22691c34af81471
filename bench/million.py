"""A million documents: the FTS5 baseline at the size of the built index, and both engines' query side.

    python bench/million.py docs CORPUS WORK [--check 500]   # WORK/docs.jsonl: the corpus, cleaned, for FTS5
    python bench/million.py fts WORK                         # WORK/fts.db from it (own process: time, CPU, RSS)
    python bench/million.py search WORK [--passes 3] [--web-seconds 30] [--json OUT] [--ours-only]
    python bench/million.py meaning WORK [--limit N]          # the meaning model trained on WORK/docs.jsonl

CORPUS is a `bench/corpora.py` scaled corpus (`build_scaled(out, target=1_000_000)`); WORK holds
`index` (ours, built by `bench/ingest_scale.py build CORPUS WORK/index`), `docs.jsonl` and `fts.db`.

`docs` gives FTS5 the documents ours indexes without cleaning a million files: every original
is cleaned once with `extract_file` (what `bench/run.py`'s cleaning pass calls on every file) and
each copy gets the corpus's own variation of it (`corpora.vary`, the same seed as the file it
stands for, the file's id, path and content hash). `--check N` cleans N random copies from their
files and counts how many equal the derived document (text, title and hash).

`search` answers the 61 fixed queries top 10 with 3 snippets (and without) from both engines
in this process, interleaved query by query (`engines.search_side`, as `bench/run.py` does), then
loads `/search` of `archive serve` and of the FTS5 page server (`engines.web`: 4 clients). When
WORK/index is missing (a build that did not finish) only FTS5 is measured. The load average is
recorded before and after each part.

`meaning` trains the meaning model (`archive.meaning.model.build`, what a full build runs after
its commit) on the documents of WORK/docs.jsonl, read as the engine would yield them, and
saves it under WORK/meaning-only; it reports the seconds, this process's peak RSS and the
model's size: the last stage of a build, measured at a size the build did not reach.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import random
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run as a script: the bench modules import each other by name

import corpora  # noqa: E402
import engines  # noqa: E402
from fts import FTS, iter_docs, load_queries  # noqa: E402
from load import free_port, measure_server  # noqa: E402
from measure import dir_bytes, latencies, run_child, summary  # noqa: E402

from archive.documents import Document, content_hash, document_id  # noqa: E402
from archive.ingest.extract import extract_file  # noqa: E402

log = logging.getLogger("bench.million")


def _row(doc: Document) -> str:
    return json.dumps({"id": doc.id, "title": doc.title, "text": doc.text, "source": doc.source.lower(),
                       "date": doc.date, "lang": doc.language, "hash": doc.content_hash}) + "\n"


def manifest(corpus: Path) -> list[tuple[str, str, int]]:
    """Return (path, original's path, copy number) of every corpus file, in the order they were written."""
    lines = (corpus.parent / f"{corpus.name}.manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(path, original, int(copy)) for path, original, copy in (line.split("\t") for line in lines)]


def derived(corpus: Path, rows: list[tuple[str, str, int]]) -> Iterator[Document]:
    """Yield every corpus document as cleaning its file gives it: originals cleaned, copies varied from them."""
    base: dict[str, Document] = {}
    seen: dict[int, set[int]] = {}
    for rel, original, copy in rows:
        if copy == 0:
            doc = base[rel] = extract_file(corpus / rel, collection=corpus.name, root=corpus)
            newid = int(Path(rel).stem.rsplit("-", 1)[1])
            # The corpus's own seen-set: the original's paragraphs first, so a copy repeating it is marked.
            corpora._distinct(_story(doc, newid), 0, _story(doc, newid).paragraphs, seen.setdefault(newid, set()))
            yield doc
            continue
        doc = base[original]
        newid = int(Path(original).stem.rsplit("-", 1)[1])
        story = _story(doc, newid)
        paras = corpora._distinct(story, copy, corpora.vary(story, copy), seen.setdefault(newid, set()))
        text = "\n\n".join(paras)
        yield dataclasses.replace(doc, id=document_id(corpus.name, rel), relpath=rel, path=str(corpus / rel),
                                  text=text, content_hash=content_hash(doc.title + "\n" + text))


def _story(doc: Document, newid: int) -> corpora.Story:
    return corpora.Story(newid, doc.date or "", doc.source, doc.title, doc.text.split("\n\n"))


def write_docs(corpus: Path, work: Path, check: int) -> dict:
    """Write WORK/docs.jsonl; check `check` random copies against cleaning their files."""
    rows = manifest(corpus)
    work.mkdir(parents=True, exist_ok=True)
    picked = set(random.Random(7).sample([r[0] for r in rows if r[2]], min(check, len(rows))))
    same, differ = 0, []
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    with open(work / "docs.jsonl", "w", encoding="utf-8") as out:
        for doc in derived(corpus, rows):
            out.write(_row(doc))
            n += 1
            if doc.relpath in picked:
                real = extract_file(Path(doc.path), collection=corpus.name, root=corpus)
                key = (real.id, real.title, real.text, real.content_hash)
                if key == (doc.id, doc.title, doc.text, doc.content_hash):
                    same += 1
                else:
                    differ.append(doc.relpath)
            if n % 100_000 == 0:
                log.info("%d documents written", n)
    return {"documents": n, "seconds": round(time.perf_counter() - start, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1), "checked": len(picked), "same_as_cleaning": same,
            "differ": differ[:20], "bytes": dir_bytes(work / "docs.jsonl")}


def build_fts(work: Path) -> dict:
    """Build WORK/fts.db from WORK/docs.jsonl in its own process."""
    run = run_child([sys.executable, str(BENCH / "fts.py"), "build", str(work / "docs.jsonl"), str(work / "fts.db")])
    if run.returncode:
        raise RuntimeError(f"FTS5 build failed: {run.stderr[-2000:]}")
    facts = json.loads(run.stdout)
    n = facts["documents"]
    return {"documents": n, "seconds": round(run.seconds, 1), "cpu_seconds": round(run.cpu_seconds, 1),
            "docs_per_s": round(n / run.seconds, 1), "peak_rss_mb": run.peak_rss_mb,
            "mb": round(dir_bytes(work / "fts.db") / 2**20, 1)}


def fts_only(work: Path, passes: int, seconds: float) -> dict:
    """FTS5's query side alone: top 10 with snippets and without, interleaved; then its page server's load."""
    specs = load_queries(BENCH / "queries.txt")
    fts = FTS(work / "fts.db")
    try:
        fts.vocabulary()
        cases = {"fts5_snippets": lambda s: fts.search(s, limit=10, snippets=True),
                 "fts5_plain": lambda s: fts.search(s, limit=10, snippets=False)}
        samples: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(passes):
            for spec in specs:
                for name, fn in cases.items():
                    samples[name] += latencies(lambda fn=fn, spec=spec: fn(spec), 1)
    finally:
        fts.close()
    port = free_port()
    args = [sys.executable, str(BENCH / "fts.py"), "serve", str(work / "fts.db"), str(port), str(BENCH / "queries.txt")]
    paths = ["/search?" + urlencode({"i": i}) for i in range(len(specs))]
    web = measure_server(args, port, paths, seconds, work / "serve-fts5.log")
    return {"latency": {"overall": {k: summary(v) for k, v in samples.items()}}, "web": {"fts5": web}}


def meaning(work: Path, limit: int | None) -> dict:
    """Train and save the meaning model on WORK/docs.jsonl; return time, peak RSS and size."""
    from archive.meaning import model as mm

    def docs() -> Iterator[Document]:
        for n, row in enumerate(iter_docs(work / "docs.jsonl")):
            if limit is not None and n >= limit:
                return
            yield Document(id=row["id"], collection="", path="", relpath="", title=row["title"], text=row["text"],
                           source=row["source"], date=row["date"], language=row["lang"], content_hash=row["hash"])

    out = work / "meaning-only"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start, cpu = time.perf_counter(), time.process_time()
    info = mm.build(docs, out)  # as a full build's refresh does: the vectors go to the file in chunks
    trained = time.perf_counter() - start
    return {"documents": info.documents, "trained_on": info.trained_on, "terms": info.terms,
            "dims": info.dims, "train_seconds": round(trained, 1),
            "seconds": round(time.perf_counter() - start, 1), "cpu_seconds": round(time.process_time() - cpu, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "model_mb": round(dir_bytes(out) / 2**20, 1), "load": os.getloadavg()}


def search(work: Path, passes: int, seconds: float, ours_only: bool = False) -> dict:
    """Both engines' query side (or FTS5's alone when the index is missing), with the load average around it."""
    out: dict = {"load_before": os.getloadavg()}
    if (work / "index").is_dir():
        specs = load_queries(BENCH / "queries.txt")
        out["search"] = engines.search_side(work, specs, passes, with_fts=not ours_only)
        out["load_after_queries"] = os.getloadavg()
        out["web"] = engines.web(work, specs, seconds, with_fts=not ours_only)
    else:
        out.update(fts_only(work, passes, seconds))
    out["load_after"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    d = sub.add_parser("docs")
    d.add_argument("corpus", type=Path)
    d.add_argument("work", type=Path)
    d.add_argument("--check", type=int, default=500, help="random copies cleaned from their files to compare")
    f = sub.add_parser("fts")
    f.add_argument("work", type=Path)
    s = sub.add_parser("search")
    s.add_argument("work", type=Path)
    s.add_argument("--passes", type=int, default=3)
    s.add_argument("--web-seconds", type=float, default=30.0)
    s.add_argument("--json", type=Path, help="also write the figures here")
    s.add_argument("--ours-only", action="store_true", help="leave FTS5 out (its figures at this size are known)")
    m = sub.add_parser("meaning")
    m.add_argument("work", type=Path)
    m.add_argument("--limit", type=int, help="the first N documents only")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
    if args.what == "docs":
        facts = write_docs(args.corpus.resolve(), args.work, args.check)
    elif args.what == "fts":
        facts = build_fts(args.work)
    elif args.what == "meaning":
        facts = meaning(args.work, args.limit)
    else:
        facts = search(args.work, args.passes, args.web_seconds, args.ours_only)
        if args.json:
            args.json.write_text(json.dumps(facts, indent=1))
    print(json.dumps(facts, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
