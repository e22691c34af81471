"""Ingest at scale: a full build's time and memory, where its time goes, what its index costs on disk.

    python bench/ingest_scale.py build  --src /path/to/checkout CORPUS INDEX [--memory-mb N] [--procs N] [--incremental]
                                        [--clean-procs N]
    python bench/ingest_scale.py stages CORPUS [--limit N]        # cProfile, grouped by stage
    python bench/ingest_scale.py sizes INDEX                      # bytes per file type and per field
    python bench/ingest_scale.py compare INDEX_A INDEX_B          # totals and top 10 of every query
    python bench/ingest_scale.py learn CORPUS [--max-files N]     # learning boilerplate lines: time, memory
    python bench/ingest_scale.py walk CORPUS                      # memory of the walked file list, three ways

`build` runs `archive ingest --full` (or, with `--incremental`, a nightly run into the index as
it is) of the checkout `--src` (its own `.venv`) in a child process and samples, every 0.2 s, the
resident memory of the whole process tree (the ingest process and every process it started): the
sum of RSS and the sum of PSS (shared pages counted once). Comparing two checkouts means running
`build` for each, alternately, in the same session.

`compare` answers every query of `bench/queries.txt` from both indexes (with this checkout's
search code) and prints each query whose total or top 10 differ; it exits 1 when one does.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from fts import load_queries  # noqa: E402

# -- memory of a process tree -----------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree_memory(root: int) -> tuple[int, int, int, dict[int, int]]:
    """Return (processes, sum of RSS, sum of PSS, PSS by process) in bytes of `root` and its descendants."""
    kids = _children()
    todo, pids = [root], []
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += kids.get(pid, [])
    rss = pss = 0
    each: dict[int, int] = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        mine = int(line.split()[1]) * 1024
                        pss += mine
                        each[pid] = mine
        except OSError:
            continue
    return len(pids), rss, pss, each


class Sampler(threading.Thread):
    """Sample a process tree's memory until stopped; keep the peaks."""

    def __init__(self, root: int, every: float = 0.2, timeline: Path | None = None):
        super().__init__(daemon=True)
        self.timeline = timeline.open("w") if timeline else None
        self.root, self.every = root, every
        self.peak_rss = self.peak_pss = self.peak_procs = 0
        self.done = threading.Event()
        self.each: dict[int, int] = {}

    def run(self) -> None:
        while not self.done.is_set():
            procs, rss, pss, each = tree_memory(self.root)
            for pid, mine in each.items():
                self.each[pid] = max(self.each.get(pid, 0), mine)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, procs)
            if self.timeline is not None:
                now = {pid: round(v / 2**20) for pid, v in each.items()}
                self.timeline.write(f"{time.monotonic():.1f} {round(pss / 2**20)} {now}\n")
                self.timeline.flush()
            self.done.wait(self.every)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(src: Path, corpus: Path, index: Path, memory_mb: int | None, procs: int | None,
          timeline: Path | None = None, log: Path | None = None, clean_procs: int | None = None,
          full: bool = True) -> dict:
    """Run one full build of `corpus` into `index` with the checkout `src` (an incremental run into
    the existing index with `full=False`: a nightly run); return its facts."""
    config = Path(tempfile.mkstemp(prefix="scale-", suffix=".toml")[1])
    lines = [f"full_procs = {procs}"] if procs else []
    if clean_procs is not None:
        lines.append(f"clean_procs = {clean_procs}")
    if memory_mb:
        lines.append(f"ingest_memory_mb = {memory_mb}")
    config.write_text("\n".join(lines) + "\n")
    env = dict(os.environ, PYTHONPATH=str(src), ARCHIVE_CONFIG=str(config))
    # The checkout's modules are byte-compiled first, as pip compiles an installed package: the
    # run then reads them as an installed archive does, also where PYTHONDONTWRITEBYTECODE is set
    # (which made every run compile them again: about 0.2 s of one core).
    subprocess.run([str(src / ".venv/bin/python"), "-m", "compileall", "-q", str(src / "archive")], check=True)
    cmd = [str(src / ".venv/bin/python"), "-m", "archive.cli", "ingest", "--index", str(index), "--json",
           str(corpus)] + (["--full"] if full else []) + (["-v"] if log else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    logfile = log.open("w") if log else None  # -v: a line per 500 documents indexed and per commit
    child = subprocess.Popen(cmd, env=env, cwd=str(src), stdout=subprocess.PIPE,
                             stderr=logfile if logfile is not None else subprocess.DEVNULL)
    sampler = Sampler(child.pid, timeline=timeline)
    sampler.start()
    out, _ = child.communicate()
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingest and every process it waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sampler.done.set()
    sampler.join()
    config.unlink()
    if logfile is not None:
        logfile.close()
    report = json.loads(out) if out.strip() else {}
    docs = int(report.get("documents") or report.get("added") or 0)
    return {"src": str(src), "corpus": str(corpus), "exit": child.returncode, "documents": docs,
            "seconds": round(seconds, 1), "docs_per_s": round(docs / seconds, 1) if seconds else 0.0,
            "cpu_s": round(cpu, 1), "docs_per_cpu_s": round(docs / cpu, 1) if cpu else 0.0,
            "peak_tree_rss_mb": round(sampler.peak_rss / 2**20, 1),
            "peak_tree_pss_mb": round(sampler.peak_pss / 2**20, 1), "processes": sampler.peak_procs,
            "peak_pss_mb_each": sorted((round(v / 2**20, 1) for v in sampler.each.values()), reverse=True)[:6],
            "index_mb": round(folder_bytes(index) / 2**20, 1)}


# -- where the time goes ----------------------------------------------------------------------

# Stage -> functions (file:function as pstats names them) whose cumulative time is the stage's.
# A function inside another stage's function is subtracted from the outer one (see `stages`).
STAGES = {
    "read + hash": [("reading.py", "read_file")],
    "clean": [("extract.py", "extract_file")],
    "stories (signatures, assign)": [("stories.py", "assign")],
    "analyse words (stemmed + exact)": [("fields.py", "terms")],
    "pair fields": [("fields.py", "pairs")],
    "add_document (fields into the pool)": [("writer.py", "add_document")],
    "flush segment (group, write postings)": [("writer.py", "_flush_segment")],
    "posting arrays": [("arrays.py", "write_all")],
    "commit (table of contents, merge)": [("writing.py", "commit")],
}


def stages(corpus: Path, limit: int, procs: int) -> tuple[dict, cProfile.Profile]:
    """Run a full build of the first `limit` files in this process under cProfile; return seconds per stage."""
    from archive.config import Settings
    from archive.ingest import ingest

    tmp = Path(tempfile.mkdtemp(prefix="scale-stages-"))
    subset = tmp / "corpus"
    for path in sorted(corpus.rglob("*.txt"))[:limit]:
        target = subset / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target) if path.stat().st_dev == tmp.stat().st_dev else target.write_bytes(path.read_bytes())
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    report = ingest([str(subset)], Settings(index=tmp / "index", full_procs=procs, clean_procs=1), full=True)
    prof.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(prof)
    cum: Counter[str] = Counter()

    def matches(names: list[tuple[str, str]], filename: str, func: str) -> bool:
        return any(filename.endswith("/" + f) and func == fn for f, fn in names)

    for (filename, _, func), (_, _, _, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        for stage, names in STAGES.items():
            # A function called from another of its own stage (StoryIndex.assign calls StoryAssigner's) counts once.
            if matches(names, filename, func) and not any(matches(names, f, fn) for f, _, fn in callers):
                cum[stage] += ct
    # Nesting: pairs run inside the pair field's analysis, analysis inside add_document; the flush
    # and the arrays inside commit.
    cum["analyse words (stemmed + exact)"] -= cum["pair fields"]
    cum["add_document (fields into the pool)"] -= cum["analyse words (stemmed + exact)"] + cum["pair fields"]
    cum["commit (table of contents, merge)"] -= cum["flush segment (group, write postings)"] + cum["posting arrays"]
    cum["read + hash"] -= cum["clean"]
    cum["other (walk, manifest, checks)"] = total - sum(cum.values())
    out = {"documents": report.documents, "seconds": round(total, 2), "docs_per_s": round(report.documents / total, 1),
           "stages": {k: round(v, 2) for k, v in cum.items()}}
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return out, prof


# -- what the index costs on disk -------------------------------------------------------------


def sizes(index: Path) -> dict:
    """Return bytes per file type, per part of the segments' compound files, and per indexed field."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    from archive.engine.whoosh.searchers import open_index

    files: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    storage = FileStorage(str(index))
    for p in index.iterdir():
        if not p.is_file():
            continue
        kind = p.name.split(".", 1)[1] if p.name.startswith("MAIN_") and "." in p.name else p.name
        files[kind] += p.stat().st_size
        if p.name.endswith(".seg"):
            cs = CompoundStorage(storage.open_file(p.name), use_mmap=False)
            for sub, info in cs._dir.items():
                parts[sub.split(".", 1)[1]] += info["length"]
            cs.close()
    postings: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    ix = open_index(index)
    with ix.reader() as reader:
        for sub, _ in reader.leaf_readers():
            for name in sub.indexed_field_names():
                if name in ("size", "mtime_ns"):
                    continue
                for text, info in sub.iter_field(name):
                    inlined = info.is_inlined()
                    terms[name] += len(text) + (len(info.to_bytes()) if inlined else 24)
                    if not inlined:
                        length = info._length
                        postings[name] += sum(length) if isinstance(length, tuple) else length
    ix.close()
    mb = lambda c: {k: round(v / 2**20, 1) for k, v in c.most_common()}  # noqa: E731
    return {"total_mb": round(sum(files.values()) / 2**20, 1), "files_mb": mb(files), "segment_parts_mb": mb(parts),
            "postings_mb_by_field": mb(postings), "terms_mb_by_field_approx": mb(terms)}


# -- two indexes, the same answers ------------------------------------------------------------


Answer = tuple[int, list[tuple[float, tuple[str, ...]]]]


def answers(index: Path) -> dict[str, Answer]:
    """Return (total, top 10 as (score, the hit's paths)) of every benchmark query against an index."""
    from archive.archive import Archive
    from archive.config import Settings
    from archive.errors import ArchiveError

    got: dict[str, Answer] = {}
    with Archive(Settings(index=index)) as arch:
        for spec in load_queries(BENCH / "queries.txt"):
            try:
                r = arch.search(spec.ours, limit=10, facets=False, snippets=0, time_budget=1e9)  # exact totals
            except ArchiveError as exc:
                got[spec.ours] = (-1, [(0.0, (type(exc).__name__,))])
                continue
            got[spec.ours] = (r.total, [(round(h.score, 4), tuple(sorted(h.paths or [h.path]))) for h in r.hits])
    return got


def same_top(a: list[tuple[float, tuple[str, ...]]], b: list[tuple[float, tuple[str, ...]]]) -> bool:
    """Return True when two top lists hold the same scores and the same hits, whatever the order among ties.

    Documents of equal score come in index order, which differs between two builds (and between
    two multi-process builds of one corpus); the last score of a full page may be cut anywhere
    among its ties, so only its count is compared.
    """
    if [s for s, _ in a] != [s for s, _ in b]:
        return False
    last = a[-1][0] if a else None
    full = len(a) >= 10
    return (sorted(h for h in a if not (full and h[0] == last)) == sorted(h for h in b if not (full and h[0] == last)))


def compare(a: Path, b: Path) -> list[str]:
    """Return a line for every benchmark query whose total or top 10 differ between two indexes."""
    left, right = answers(a), answers(b)
    out = []
    for q, (total, top) in left.items():
        other_total, other_top = right[q]
        if total != other_total or not same_top(top, other_top):
            out.append(f"{q!r}: {total} {top} != {other_total} {other_top}")
    return out


def learn(corpus: Path, max_files: int | None) -> dict:
    """Learn the boilerplate lines of every folder of a corpus as a full ingest does; return what it cost.

    The peak RSS is this process's, and includes the list of every file (which the ingest holds too).
    """
    sys.path.insert(0, str(BENCH.parent))
    from archive.ingest.learnt import MAX_LEARN_FILES, LearntLines

    files = [("bench", str(path), str(path.relative_to(corpus)))
             for path in sorted(corpus.rglob("*")) if path.is_file()]
    start = time.process_time()
    with tempfile.TemporaryDirectory() as nowhere:
        learnt = LearntLines(Path(nowhere), max_files=max_files or MAX_LEARN_FILES)
        learnt.learn(files)
    learnt_lines = json.dumps({k: sorted(v) for k, v in sorted(learnt.lines.items())})
    return {"files": len(files), "max_files": max_files or MAX_LEARN_FILES, "folders": len(learnt.lines),
            "lines": sum(len(v) for v in learnt.lines.values()),
            "digest": hashlib.sha1(learnt_lines.encode()).hexdigest()[:12],  # the same lines, the same digest
            "cpu_s": round(time.process_time() - start, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


WALK_KINDS = ("WalkedFiles", "relpath strings", "tuples")


def walk(corpus: Path, kind: str | None = None) -> dict:
    """Return the resident memory (MB) the list of a corpus's walked files takes, each way in a
    process of its own: as the ingest keeps it (`WalkedFiles`), as a list of relpath strings (how
    `WalkedFiles` kept them before), and as a list of (collection, path, relpath) tuples. Then a
    forked process reads every file of the list, as the cleaning processes forked after the walk
    do, and reports how many MB of the list's pages it had to copy (`copied_mb`)."""
    if kind is None:
        return {k: json.loads(subprocess.run([sys.executable, __file__, "walk", str(corpus), "--as", k],
                                             check=True, capture_output=True, text=True).stdout)
                for k in WALK_KINDS}
    sys.path.insert(0, str(BENCH.parent))
    from archive.config import Settings
    from archive.ingest import IngestReport
    from archive.ingest.walk import WalkedFiles, collections_for, walk_relative

    def status(field: str, name: str = "/proc/self/status") -> float:
        with open(name) as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024

    settings = Settings(index=Path(tempfile.gettempdir()) / "nowhere")
    colls = collections_for([str(corpus)], settings)
    before = status("VmRSS")
    start = time.process_time()
    files: Any
    if kind == "WalkedFiles":
        files = WalkedFiles(colls, settings, IngestReport())
    elif kind == "relpath strings":
        files = [r for c in colls for _, r in walk_relative(c, settings, IngestReport())]
    else:
        files = [(c, p, r) for c in colls for p, r in walk_relative(c, settings, IngestReport())]
    out = {"files": len(files), "mb": round(status("VmRSS") - before, 1),
           "cpu_s": round(time.process_time() - start, 1)}
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the reader: every entry once, as workers read the files they clean
        os.close(read)
        dirty = status("Private_Dirty", "/proc/self/smaps_rollup")
        for k in range(len(files)):
            files[k]
        os.write(write, str(status("Private_Dirty", "/proc/self/smaps_rollup") - dirty).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        out["copied_mb"] = round(float(f.read()), 1)
    os.waitpid(child, 0)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("corpus", type=Path)
    b.add_argument("index", type=Path)
    b.add_argument("--src", type=Path, default=BENCH.parent)
    b.add_argument("--memory-mb", type=int)
    b.add_argument("--procs", type=int)
    b.add_argument("--clean-procs", type=int, help="the setting clean_procs (default: the checkout's)")
    b.add_argument("--timeline", type=Path, help="write every sample's memory (total and by process) here")
    b.add_argument("--log", type=Path, help="write the ingest's log (-v: progress, commits, meaning model) here")
    b.add_argument("--incremental", action="store_true", help="an incremental run into the existing index, not --full")
    s = sub.add_parser("stages")
    s.add_argument("corpus", type=Path)
    s.add_argument("--limit", type=int, default=10_000)
    s.add_argument("--procs", type=int, default=1, help="indexing processes (1: cProfile sees every stage)")
    s.add_argument("--dump", type=Path, help="also save the profile here (for pstats)")
    z = sub.add_parser("sizes")
    z.add_argument("index", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    w = sub.add_parser("walk")
    w.add_argument("corpus", type=Path)
    w.add_argument("--as", dest="kind", choices=WALK_KINDS, help="one way only, in this process")
    g = sub.add_parser("learn")
    g.add_argument("corpus", type=Path)
    g.add_argument("--max-files", type=int, help="files read per folder (default: the archive's own cap)")
    args = p.parse_args(argv)
    if args.what == "walk":
        print(json.dumps(walk(args.corpus.resolve(), args.kind)))
    elif args.what == "learn":
        print(json.dumps(learn(args.corpus.resolve(), args.max_files)))
    elif args.what == "build":
        print(json.dumps(build(args.src.resolve(), args.corpus.resolve(), args.index.resolve(), args.memory_mb,
                               args.procs, args.timeline, args.log, args.clean_procs, not args.incremental)))
    elif args.what == "stages":
        facts, prof = stages(args.corpus, args.limit, args.procs)
        print(json.dumps(facts, indent=1))
        if args.dump:
            prof.dump_stats(str(args.dump))
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    elif args.what == "sizes":
        print(json.dumps(sizes(args.index), indent=1))
    else:
        diffs = compare(args.a, args.b)
        print("\n".join(diffs) or f"all {len(load_queries(BENCH / 'queries.txt'))} queries: same totals and top 10")
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
