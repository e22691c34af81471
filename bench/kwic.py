"""Concordance benchmark: time to the first page, time to the full CSV export and peak memory.

    python bench/kwic.py --index /path/to/index said market "oil prices"

Cold figures: a new `Archive` (and searcher) per query. Memory is Python's traced peak during
the export (tracemalloc, in a second pass), beside the process's maximum resident size.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import time
import tracemalloc
from typing import TextIO

from archive.archive import Archive
from archive.config import Settings
from archive.research import kwic

FIRST_PAGE = 100


def measure(index: str, query: str) -> dict:
    """Return the figures for one query."""
    row: dict = {"query": query}
    with Archive(Settings(index=index)) as archive:
        t0 = time.perf_counter()
        stream = kwic.occurrences(archive, query)
        for n, _ in enumerate(stream, 1):
            if n == FIRST_PAGE:
                break
        row["first_page_s"] = time.perf_counter() - t0
        stream.close()
    totals = kwic.Totals()
    with Archive(Settings(index=index)) as archive, open(os.devnull, "w", newline="") as out:
        t0 = time.perf_counter()
        _export(archive, query, out, totals)
        row["export_s"] = time.perf_counter() - t0
    # A second pass for memory: tracing allocations slows Python several times over.
    with Archive(Settings(index=index)) as archive, open(os.devnull, "w", newline="") as out:
        tracemalloc.start()
        _export(archive, query, out, kwic.Totals())
        row["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    row.update(occurrences=totals.occurrences, documents=totals.documents)
    return row


def _export(archive: Archive, query: str, out: TextIO, totals: kwic.Totals) -> None:
    writer = csv.writer(out)
    for occ in kwic.occurrences(archive, query, totals=totals):
        writer.writerow(occ.to_dict().values())


def main() -> None:
    """Run the queries named on the command line and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("queries", nargs="+")
    args = parser.parse_args()
    print(f"{'query':20} {'docs':>8} {'occurrences':>12} {'first 100':>10} {'export':>9} {'peak MB':>8}")
    for q in args.queries:
        r = measure(args.index, q)
        print(f"{q:20} {r['documents']:8,} {r['occurrences']:12,} {r['first_page_s']:9.3f}s {r['export_s']:8.2f}s "
              f"{r['peak_mb']:8.1f}")
    print(f"max resident size of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
