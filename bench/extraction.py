"""Extraction benchmark on html-sample: our cleaner beside plain trafilatura and BeautifulSoup get_text().

Run: `python bench/extraction.py [HTML_SAMPLE_DIR] [--bbc DIR]` (needs the `train` extra).

- trafilatura-eval: share of `with` snippets found and of `without` snippets absent in the
  whitespace-normalised output (as scored upstream).
- readability-testpages: 4-word-shingle precision, recall and F1 against the text of
  expected.html, averaged over pages.
"ours" is the shipped cleaner. Its line classifier was trained on the `train` sites of the
cleaning corpus (bench/cleaning/), which holds no page of html-sample and none of their sites:
every page here is of a site the classifier never saw.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpora import BENCH, build_bbc  # noqa: E402
from sample_pages import Page, normalise, read_pages, shingles, tokens  # noqa: E402

from archive.clean import decode_bytes  # noqa: E402
from archive.clean.html import clean_html  # noqa: E402
from archive.clean.text import clean_text  # noqa: E402


def plain_trafilatura(html: str) -> str:
    """Return trafilatura's output with its defaults."""
    import trafilatura

    return trafilatura.extract(html) or ""


def get_text(html: str) -> str:
    """Return every text node of the page (BeautifulSoup's get_text), scripts and styles dropped."""
    soup = BeautifulSoup(html, "lxml")
    for el in soup(["script", "style", "noscript", "template"]):
        el.decompose()
    return soup.get_text(" ")


def _ours(html: str, model: object = "default") -> str:
    """Return what the archive keeps of a page: the text, headed by the title when it was taken out of it."""
    page = clean_html(html, model=model)
    return f"{page.title}\n\n{page.text}" if page.dropped_title else page.text


def score_snippets(pages: list[Page], outputs: list[str]) -> tuple[float, float]:
    """Return (share of `with` snippets found, share of `without` snippets absent)."""
    found = kept_out = n_with = n_without = 0
    for page, out in zip(pages, outputs):
        text = normalise(out)
        found += sum(1 for s in page.with_ if normalise(s) in text)
        kept_out += sum(1 for s in page.without if normalise(s) not in text)
        n_with += len(page.with_)
        n_without += len(page.without)
    return found / n_with, kept_out / n_without


def score_shingles(pages: list[Page], outputs: list[str]) -> tuple[float, float, float]:
    """Return 4-word-shingle precision, recall and F1 against the reference, averaged per page."""
    ps, rs, fs = [], [], []
    for page, out in zip(pages, outputs):
        ref, got = shingles(tokens(page.reference)), shingles(tokens(out))
        both = len(ref & got)
        p = both / len(got) if got else 0.0
        r = both / len(ref) if ref else 0.0
        ps.append(p)
        rs.append(r)
        fs.append(2 * p * r / (p + r) if p + r else 0.0)
    return statistics.mean(ps), statistics.mean(rs), statistics.mean(fs)


def run_system(name: str, fn, pages: list[Page]) -> tuple[list[str], list[float], int]:
    """Run one extractor over every page; return outputs, CPU seconds per page and crashes."""
    outputs, times, crashes = [], [], 0
    for page in pages:
        # CPU time of this process: the machine is shared, so wall time would measure the neighbours.
        start = time.process_time()
        try:
            out = fn(page)
        except Exception as exc:  # noqa: BLE001 - a crash is counted, not fatal
            print(f"  {name}: {page.name} crashed: {exc!r}", file=sys.stderr)
            out, crashes = "", crashes + 1
        times.append(time.process_time() - start)
        outputs.append(out)
    return outputs, times, crashes


def time_text_articles(folder: Path, limit: int = 500) -> tuple[float, float]:
    """Return the median and 90th-percentile CPU milliseconds to clean one plain-text article."""
    files = sorted(folder.rglob("*.txt"))[:limit]
    texts = [decode_bytes(f.read_bytes())[0] for f in files]
    times = []
    for t in texts:
        start = time.process_time()
        clean_text(t)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000, statistics.quantiles(times, n=10)[-1] * 1000


def _default_corpus() -> Path:
    """Return ../shared/corpora/html-sample beside the checkout (or beside the worktrees' folder)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared/corpora/html-sample").is_dir():
            return base / "shared/corpora/html-sample"
    return ROOT.parent / "shared/corpora/html-sample"


def main() -> int:
    """Print the side-by-side table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(_default_corpus()))
    ap.add_argument("--bbc", help="plain-text articles to time (default: bench/corpora/bbc, from ../shared/corpora)")
    args = ap.parse_args()
    pages = list(read_pages(Path(args.corpus)))
    systems = {
        "ours (shipped classifier)": lambda p: _ours(p.html),
        "ours (rules only)": lambda p: _ours(p.html, None),
        "trafilatura (defaults)": lambda p: plain_trafilatura(p.html),
        "BeautifulSoup get_text()": lambda p: get_text(p.html),
    }
    groups = {"all pages": pages}
    for label, group in groups.items():
        tpages = [p for p in group if p.kind == "trafilatura-eval"]
        rpages = [p for p in group if p.kind == "readability"]
        print(f"\n{label}: {len(tpages)} trafilatura-eval pages, {len(rpages)} readability pages\n")
        print("| system | eval: with found | eval: without absent | readability P | R | F1 | CPU ms/page median "
              "| p90 | crashes |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, fn in systems.items():
            tout, ttimes, tc = run_system(name, fn, tpages)
            rout, rtimes, rc = run_system(name, fn, rpages)
            w, wo = score_snippets(tpages, tout)
            p, r, f = score_shingles(rpages, rout)
            ms = statistics.median(ttimes + rtimes) * 1000
            p90 = statistics.quantiles(ttimes + rtimes, n=10)[-1] * 1000
            print(f"| {name} | {w:.3f} | {wo:.3f} | {p:.3f} | {r:.3f} | {f:.3f} | {ms:.0f} | {p90:.0f} | {tc + rc} |")
    bbc = Path(args.bbc) if args.bbc else build_bbc(BENCH / "corpora")
    if bbc.exists():
        med, p90 = time_text_articles(bbc)
        print(f"\nplain-text article ({bbc}, first 500 files): clean_text CPU {med:.2f} ms median, {p90:.2f} ms p90")
    return 0


if __name__ == "__main__":
    sys.exit(main())
