"""Plain-text cleaning benchmark: this cleaner, jusText and keep-all on the same scraped pages.

Run: `python bench/cleaning/benchmark.py CORPUS.jsonl [--split test|train|all]` (needs the `train`
extra for jusText). By default it measures the corpus's `test` split: sites the shipped line
classifier was never trained on (bench/cleaning/train.py trains on the `train` split only).

For every document the cleaner gets the plain text as a scraper saved it and returns what it
kept; each labelled line (or segment of a glued line) counts as removed when most of its
characters are gone from the output. Reported, per cleaner:
- the share of boilerplate lines removed, overall and per kind;
- the share of article words kept (every word of every article line, headline and subheadings
  included);
- the glued lines: boilerplate segments removed and article segments kept;
- milliseconds per document.
jusText (3.0.2, with the stop list of the document's language) gets each line as a paragraph of its own (`<p>`),
which is how it reads a page's blocks; keep-all keeps everything.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import UNSURE, Doc, Piece, read_corpus  # noqa: E402

from archive.clean import clean_text  # noqa: E402
from archive.clean.language import detect_language  # noqa: E402

Cleaner = Callable[[Doc], list[tuple[int, int]]]  # the removed (start, end) spans of the text


def ours(doc: Doc) -> list[tuple[int, int]]:
    """Return the spans the archive's cleaner removes."""
    out = clean_text(doc.text)
    return [(r.start, r.start + len(r.text)) for r in out.removed]


def keep_all(doc: Doc) -> list[tuple[int, int]]:
    """Remove nothing."""
    return []


def jusText(doc: Doc) -> list[tuple[int, int]]:  # noqa: N802 - the tool's name
    """Return the spans of the lines jusText classifies as boilerplate."""
    import justext

    lines = [_whole(line) for line in doc.lines]
    page = "<html><body>" + "".join(f"<p>{html.escape(text)}</p>" for text, _, _ in lines) + "</body></html>"
    paragraphs = justext.justext(page.encode("utf-8"), justext.get_stoplist(_stoplist(doc.text)), encoding="utf-8")
    kept = {}
    for p in paragraphs:
        kept.setdefault(" ".join(p.text.split()), []).append(not p.is_boilerplate)
    spans = []
    for text, start, end in lines:
        verdicts = kept.get(" ".join(text.split()))
        keep = verdicts.pop(0) if verdicts else False
        if not keep:
            spans.append((start, end))
    return spans


_STOPLISTS = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese",
              "it": "Italian", "nl": "Dutch"}


def _stoplist(text: str) -> str:
    """Return jusText's stop list for the text's language (English when unknown): its fair setting."""
    return _STOPLISTS.get(detect_language(text), "English")


def _whole(line: list[Piece]) -> tuple[str, int, int]:
    start = line[0].start
    end = line[-1].start + len(line[-1].text)
    return " ".join(p.text for p in line), start, end


def removed_share(piece: Piece, spans: list[tuple[int, int]]) -> float:
    """Return the share of a piece's characters inside removed spans."""
    a, b = piece.start, piece.start + len(piece.text)
    covered = sum(max(0, min(b, e) - max(a, s)) for s, e in spans)
    return covered / max(1, b - a)


def measure(docs: list[Doc], cleaner: Cleaner) -> dict:
    """Return the benchmark figures of one cleaner over the documents."""
    bp_total = bp_removed = 0
    words_total = words_kept = 0
    glued = {"boilerplate": 0, "boilerplate_removed": 0, "article": 0, "article_kept": 0}
    kinds: dict[str, list[int]] = {}
    times = []
    for doc in docs:
        t0 = time.perf_counter()
        spans = cleaner(doc)
        times.append((time.perf_counter() - t0) * 1000)
        for piece in doc.pieces:
            if piece.kind == UNSURE:
                continue
            gone = removed_share(piece, spans) >= 0.5
            if piece.boilerplate:
                bp_total += 1
                bp_removed += gone
                k = kinds.setdefault(piece.corpus_kind, [0, 0])
                k[0] += 1
                k[1] += gone
                if piece.glued:
                    glued["boilerplate"] += 1
                    glued["boilerplate_removed"] += gone
            else:
                n = len(piece.text.split())
                words_total += n
                words_kept += 0 if gone else n
                if piece.glued:
                    glued["article"] += 1
                    glued["article_kept"] += not gone
    return {
        "documents": len(docs),
        "boilerplate_lines": bp_total,
        "boilerplate_removed": round(bp_removed / max(1, bp_total), 4),
        "article_words": words_total,
        "article_words_kept": round(words_kept / max(1, words_total), 4),
        "by_kind": {k: {"lines": v[0], "removed": round(v[1] / v[0], 3)} for k, v in sorted(kinds.items())},
        "glued": glued,
        "ms_per_doc_median": round(statistics.median(times), 3) if times else 0.0,
        "ms_per_doc_mean": round(statistics.fmean(times), 3) if times else 0.0,
    }


def table(results: dict[str, dict]) -> str:
    """Return the figures as a Markdown table: overall rows, then one row per kind."""
    names = list(results)
    out = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    first = results[names[0]]
    out.append(f"| documents | {first['documents']} |" + " |" * (len(names) - 1))
    for label, key, digits in (("boilerplate lines removed", "boilerplate_removed", 3),
                               ("article words kept", "article_words_kept", 4),
                               ("ms per document (median)", "ms_per_doc_median", 2)):
        out.append(f"| {label} | " + " | ".join(f"{r[key]:.{digits}f}" for r in results.values()) + " |")
    for kind, k in first["by_kind"].items():
        cells = [f"{r['by_kind'].get(kind, {}).get('removed', 0):.2f}" for r in results.values()]
        out.append(f"| {kind} ({k['lines']} lines) | " + " | ".join(cells) + " |")
    g = [r["glued"] for r in results.values()]
    out.append("| glued: boilerplate segments removed | " + " | ".join(
        f"{x['boilerplate_removed']}/{x['boilerplate']}" for x in g) + " |")
    out.append("| glued: article segments kept | " + " | ".join(
        f"{x['article_kept']}/{x['article']}" for x in g) + " |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Run the three cleaners on one split of the corpus; print a table, save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--split", default="test", choices=("test", "train", "all"))
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the figures")
    args = parser.parse_args(argv)
    docs = [d for d in read_corpus(args.corpus) if args.split == "all" or d.split == args.split]
    ours(docs[0]) if docs else None  # load the model before timing
    cleaners = {"archive": ours, "jusText": jusText, "keep-all": keep_all}
    results = {name: measure(docs, fn) for name, fn in cleaners.items()}
    print(f"All {len(docs)} documents of the {args.split} split\n")  # noqa: T201 - the command's output
    print(table(results))  # noqa: T201
    by_reference = {}
    for ref in ("gold", "silver"):
        group = [d for d in docs if d.reference == ref]
        if group:
            by_reference[ref] = {name: measure(group, fn) for name, fn in cleaners.items()}
            print(f"\n{len(group)} documents with a {ref} reference\n")  # noqa: T201
            print(table(by_reference[ref]))  # noqa: T201
    out = args.out or ROOT / "bench" / "results" / f"cleaning-{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"split": args.split, "corpus": str(args.corpus), "results": results,
                               "by_reference": by_reference}, indent=1) + "\n",
                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
