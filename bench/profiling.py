"""Profile the search path and the ingest path with cProfile; write the top functions to bench/results/.

    python bench/profiling.py search bench/work/reuters/index      # every query once, top 10 with snippets
    python bench/profiling.py ingest bench/corpora/reuters --limit 1000

Each profile prints the functions with the largest cumulative and own time, so a hot spot can be
named by file and function. Run it when nothing else heavy runs: the figures are wall-clock.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from fts import load_queries  # noqa: E402


def profile_search(index: Path, passes: int) -> tuple[cProfile.Profile, dict]:
    """Run every fixed query `passes` times through Archive.search under the profiler."""
    from archive.archive import Archive
    from archive.config import Settings

    specs = load_queries(BENCH / "queries.txt")
    slowest: dict[str, float] = {}
    with Archive(Settings(index=index)) as arch:
        arch.search("warmup")
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(passes):
            for spec in specs:
                start = time.perf_counter()
                arch.search(spec.ours, limit=10, facets=False)
                ms = (time.perf_counter() - start) * 1000
                slowest[spec.ours] = max(slowest.get(spec.ours, 0.0), ms)
        prof.disable()
    return prof, dict(sorted(slowest.items(), key=lambda kv: -kv[1])[:10])


def profile_ingest(corpus: Path, limit: int) -> tuple[cProfile.Profile, dict]:
    """Ingest the first `limit` files of a corpus into a fresh index under the profiler."""
    from archive.config import Settings
    from archive.ingest import ingest

    tmp = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        subset = tmp / corpus.name
        for path in sorted(corpus.rglob("*.txt"))[:limit]:
            target = subset / path.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        report = ingest([str(subset)], Settings(index=tmp / "index"))
        prof.disable()
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return prof, {"documents": report.added, "seconds": seconds, "docs_per_s": report.added / seconds}


def top(prof: cProfile.Profile, key: str, n: int) -> str:
    """Return the profiler's n heaviest functions by `key` as text."""
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats(key).print_stats(n)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Profile one path and write the report."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["search", "ingest"])
    p.add_argument("path", type=Path, help="an index folder (search) or a corpus folder (ingest)")
    p.add_argument("--limit", type=int, default=1000, help="files to ingest")
    p.add_argument("--passes", type=int, default=1, help="passes over the queries")
    p.add_argument("--out", type=Path, default=BENCH / "results")
    args = p.parse_args(argv)
    if args.what == "search":
        prof, facts = profile_search(args.path, args.passes)
    else:
        prof, facts = profile_ingest(args.path, args.limit)
    text = (f"# {args.what} profile of {args.path}\n# {facts}\n\n## by cumulative time\n{top(prof, 'cumulative', 45)}"
            f"\n## by own time\n{top(prof, 'tottime', 30)}")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"profile-{args.what}-{args.path.parent.name if args.what == 'search' else args.path.name}.txt"
    target.write_text(text)
    (BENCH / "work").mkdir(exist_ok=True)
    prof.dump_stats(str(BENCH / "work" / target.with_suffix(".prof").name))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
