"""BBC neighbours by key terms: the share of each document's 10 most similar documents in its category.

Ingests the BBC corpus (2,225 articles, one folder per category, so the source facet is the
category) into a scratch index unless it is there already, then asks `Archive.similar` for every
document's 10 nearest neighbours by key terms (its own identical copies left out) and reports
the share that share its category, overall and per category, with the time per query.

    python bench/neighbours.py [--index /tmp/bench-related/bbc-index] [--bbc DIR]   # DIR: bench/corpora/bbc
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpora import BENCH, build_bbc  # noqa: E402

from archive.archive import Archive  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.ingest import ingest  # noqa: E402

K = 10


def main() -> None:
    """Build the index if needed, query every document, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", default="/tmp/bench-related/bbc-index")
    ap.add_argument("--bbc", help="the BBC articles (default: bench/corpora/bbc, unpacked from ../shared/corpora)")
    args = ap.parse_args()
    settings = Settings(index=Path(args.index))
    if not (Path(args.index) / "last-ingest.json").is_file():
        report = ingest([args.bbc or str(build_bbc(BENCH / "corpora"))], settings)
        print(f"ingest: {report.documents} documents in {report.seconds:.1f} s "
              f"({1000 * report.seconds / max(1, report.documents):.1f} ms per document, story clusters included)")
    share: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    with Archive(settings) as archive:
        hits = archive.export("*")
        docs = [(h.id, h.source) for h in hits]
        for doc_id, category in docs:
            found = archive.similar(doc_id, K)
            related = found[1] if found else []
            if related:
                share[category].append(sum(r.source == category for r in related) / len(related))
    seconds = time.perf_counter() - started
    everything = [x for xs in share.values() for x in xs]
    print(f"{len(everything)} documents (one per distinct text), {K} neighbours each by key terms")
    print("| category | documents | share of the 10 neighbours in the same category |")
    print("|---|---|---|")
    for cat in sorted(share):
        print(f"| {cat} | {len(share[cat])} | {sum(share[cat]) / len(share[cat]):.3f} |")
    print(f"| all | {len(everything)} | {sum(everything) / len(everything):.3f} |")
    print(f"more like this: {1000 * seconds / max(1, len(docs)):.1f} ms per document")
    print(json.dumps({"share": sum(everything) / len(everything), "documents": len(everything)}))


if __name__ == "__main__":
    main()
