"""What tags cost a search: the same queries with and without a marks file beside the index.

    python bench/tag_facet.py INDEX [--tags 20] [--per-tag 50] [--runs 5]

Tags `--tags` tags on `--per-tag` random documents each (seeded) in a marks file written beside
the index (`INDEX.marks.sqlite`; refused when one is there), runs each query `--runs` times
with the Tag facet, then moves the file aside and runs them again without it (the baseline, in
the same run), and deletes the file. Prints the median wall milliseconds of each query and the
facet it got.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.archive import Archive  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.marks.store import marks_path  # noqa: E402

QUERIES = ("oil prices", "bank", "tag:tag3 oil")


def timed(index: Path, runs: int) -> dict[str, tuple[float, dict[str, int]]]:
    """Return, per query, the median milliseconds of a search with facets and its tag facet."""
    out = {}
    with Archive(Settings(index=index)) as archive:
        for query in QUERIES:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                result = archive.search(query, limit=10)
                times.append(time.perf_counter() - start)
            out[query] = (statistics.median(times) * 1000, dict(list((result.facets.get("tag") or {}).items())[:3]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--tags", type=int, default=20)
    ap.add_argument("--per-tag", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    path = marks_path(args.index)
    if path.exists():
        ap.error(f"{path} exists: this benchmark writes its own marks there")
    with Archive(Settings(index=args.index)) as archive:
        with archive.engine.searcher() as s:  # the Whoosh engine (the benchmark indexes are Whoosh)
            ids = [f["id"] for _, f in zip(range(50_000), s.all_stored_fields())]
        random.seed(3)
        with archive.marks(readonly=False) as marks:
            for t in range(args.tags):
                for doc_id in random.sample(ids, args.per_tag):
                    doc = archive.engine.get(doc_id)
                    if doc is not None:
                        marks.add_tag(doc, f"tag{t}", "bench")
    try:
        tagged = timed(args.index, args.runs)
        aside = path.with_name(path.name + ".aside")
        path.rename(aside)
        try:
            plain = timed(args.index, args.runs)
        finally:
            aside.rename(path)
    finally:
        path.unlink(missing_ok=True)
    print(f"{args.tags} tags x {args.per_tag} documents; median of {args.runs} searches (ms, wall)\n")
    print("| query | without marks | with marks | tag facet (first 3) |\n|---|---|---|---|")
    for query in QUERIES:
        print(f"| `{query}` | {plain[query][0]:.0f} | {tagged[query][0]:.0f} | {tagged[query][1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
