"""Build the line-labelled corpus for the boilerplate line cleaner from public extractor test pages.

Each page's HTML is turned into the plain text a web scraper saves (one line per innermost block,
plus image alt texts), every line is labelled against the page's reference text as content
("title", "content", "heading") or boilerplate with its KIND ("caption", "share", "related", ...),
or "unsure", and a span like the one a scraper keeps is rendered. See bench/cleaning/SOURCES.md.

Usage:
    python bench/cleaning/build_corpus.py --out ../shared/corpora/cleaning-train --mirrors MIRRORS

Arguments:
    --out DIR          where corpus.jsonl, SOURCES.md and stats.json are written; a cache of the
                       silver extractions goes to DIR/.cache (safe to delete)
    --mirrors DIR      bare git mirrors laid out as DIR/<owner>+<name>/repo (the `fetch` layout)
    --html-sample DIR  default ../shared/corpora/html-sample: its pages and their sites are kept
                       out of the training split (they are only measured on, by bench/extraction.py)
    --sources LIST     comma list of sources to use (default: all); see pages.py
    --limit N          at most N pages per source (for a quick try)
    --workers N        processes for parsing and silver extraction (default: CPU count)
    --glue-rate F      share of documents given one or two glued lines (default 0.03)
    --seed S           base seed of every random choice (default 13); output is deterministic

Needs lxml, trafilatura==2.3.1 and readability-lxml (silver references), langid, tldextract.
No page of html-sample is read into the corpus.
A page that fails or has fewer than 3 content lines is skipped with a logged reason.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import sys
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages as srcs  # noqa: E402
from labels import HEADINGS, Line, RefIndex, boilerplate_kind, normalise, page_lines, text_lines, tokens  # noqa: E402
from sites import host_of, original_url, site_of, split_of  # noqa: E402

log = logging.getLogger("cleaning.build")

SOURCES = {  # reader, in the order pages are kept when de-duplicating (gold first)
    "l3s-gn1": lambda a: srcs.l3s_gn1(a.mirrors),
    "newspaper4k": lambda a: srcs.newspaper4k(a.mirrors),
    "goose3": lambda a: srcs.goose3(a.mirrors),
    "trafilatura": lambda a: srcs.trafilatura_eval(a.mirrors),
}
CONTENT_KINDS = {"title", "content", "heading"}
GAP = 40  # content lines further apart than this start a new cluster
HI, LO = 0.6, 0.15  # shingle share: >= HI content, <= LO boilerplate, between: unsure
_CACHE: Path | None = None
_GLUE_RATE = 0.03
_SEED = 13


# --- labelling ----------------------------------------------------------------------------

def silver_references(html: str, key: str) -> tuple[str, str, str]:
    """trafilatura's and readability-lxml's main text of a page, and the page title (cached)."""
    cache = _CACHE / f"{key}.json" if _CACHE else None
    if cache and cache.exists():
        d = json.loads(cache.read_text(encoding="utf-8"))
        return d["traf"], d["read"], d["title"]
    import trafilatura
    from readability import Document
    traf, title = "", ""
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                      include_tables=True, deduplicate=False)
    if doc is not None:
        traf, title = doc.text or "", doc.title or ""
    try:
        rdoc = Document(html)
        read = "\n".join(text_lines(rdoc.summary(html_partial=True)))
        title = title or rdoc.short_title() or ""
    except Exception as exc:  # readability-lxml raises many kinds on odd pages
        log.debug("readability failed on %s: %s", key, exc)
        read = ""
    if cache:
        cache.write_text(json.dumps({"traf": traf, "read": read, "title": title}),
                         encoding="utf-8")
    return traf, read, title


def _status_from_score(score: float | None) -> str | None:
    if score is None:
        return None
    return "content" if score >= HI else "boiler" if score <= LO else "unsure"


def line_status(page: srcs.SourcePage, lines: list[Line]
                ) -> tuple[list[str | None], str, dict[str, str]]:
    """Per line 'content' / 'boiler' / 'unsure' / None (no words); the page title; and (L3S-GN1)
    the annotation of boilerplate lines."""
    title = page.title
    hints: dict[str, str] = {}
    if page.annotation:
        reference, title, hints = annotation_reference(page.annotation)
        refs = [RefIndex(reference + "\n" + title)]
    elif page.reference_kind == "gold":
        refs = [RefIndex(page.reference + "\n" + title)]
    else:
        key = hashlib.sha1(page.html.encode("utf-8", "replace")).hexdigest()
        traf, read, auto_title = silver_references(page.html, key)
        title = title or auto_title
        if not traf.strip() or not read.strip():
            raise ValueError("a silver extractor returned nothing")
        refs = [RefIndex(traf + "\n" + title), RefIndex(read + "\n" + title)]
    with_ = [normalise(s) for s in page.with_ if normalise(s)]
    without = [normalise(s) for s in page.without if normalise(s)]
    out = []
    for ln in lines:
        if ln.is_alt:
            out.append("boiler")
            continue
        norm = normalise(ln.text)
        if any(s in norm for s in without):
            out.append("boiler")
            continue
        if any(s in norm for s in with_):
            out.append("content")
            continue
        states = {_status_from_score(r.score(ln.text)) for r in refs}
        out.append(states.pop() if len(states) == 1 else "unsure")
    return out, title, hints


def annotation_reference(annotated_html: str) -> tuple[str, str, dict[str, str]]:
    """L3S-GN1: main text (headline + full text blocks), headline, and the annotation of
    every other line (token key -> x-nc-sel number: 3 supplemental, 4 related, 5 comments)."""
    content, title, hints = [], "", {}
    for ln in page_lines(annotated_html, with_alt=False):
        total = sum(ln.marks.values())
        if not total:
            continue
        main = ln.marks.get("1", 0) + ln.marks.get("2", 0)
        if main / total >= 0.8:
            content.append(ln.text)
            if not title and ln.marks.get("1", 0) > ln.marks.get("2", 0):
                title = ln.text
        elif main / total <= 0.2:
            hints[" ".join(tokens(ln.text))] = max(sorted(ln.marks), key=ln.marks.get)
    return "\n".join(content), title, hints


def main_region(lines: list[Line], status: list[str | None]) -> tuple[int, int] | None:
    """First and last index of the article: the cluster of long content lines (6+ words) with
    the most content words, widened to short content lines right next to it and to the
    headline (an <h1> at most 8 lines before it, which silver extractors often leave out)."""
    long_ = [i for i, s in enumerate(status)
             if s == "content" and len(tokens(lines[i].text)) >= 6]
    if not long_:
        return None
    clusters, cur = [], [long_[0]]
    for i in long_[1:]:
        if i - cur[-1] > GAP:
            clusters.append(cur)
            cur = []
        cur.append(i)
    clusters.append(cur)
    best = max(clusters, key=lambda c: sum(len(tokens(lines[i].text)) for i in c))
    start, end = best[0], best[-1]
    while start > 0 and any(status[j] == "content" for j in range(max(0, start - 3), start)):
        start = max(j for j in range(max(0, start - 3), start) if status[j] == "content")
    while any(status[j] == "content" for j in range(end + 1, min(len(lines), end + 4))):
        end = max(j for j in range(end + 1, min(len(lines), end + 4)) if status[j] == "content")
    for j in range(start - 1, max(-1, start - 9), -1):
        if lines[j].tag == "h1" and not lines[j].is_alt and lines[j].words <= 30 \
                and status[j] is not None:
            status[j] = "content"
            start = j
            break
    return start, end


def kinds_of(page: srcs.SourcePage, lines: list[Line], status: list[str | None],
             region: tuple[int, int], title: str, hints: dict[str, str]) -> list[str]:
    title_ref = RefIndex(title) if title else None
    firsts = [i for i in range(region[0], region[1] + 1) if status[i] == "content"][:3]
    title_at = next((i for i in firsts if lines[i].words <= 30 and (
        lines[i].tag == "h1" or (title_ref is not None
                                 and (title_ref.score(lines[i].text) or 0) >= 0.8))), None)
    if title_at is None and firsts and lines[firsts[0]].tag in {"h1", "h2"}:
        title_at = firsts[0]
    kinds = []
    for i, (ln, st) in enumerate(zip(lines, status)):
        if st == "content" and not region[0] <= i <= region[1]:
            st = "unsure"  # a copy of article text away from the article (teaser, related list)
        if st == "content":
            if i == title_at:
                kinds.append("title")
            elif ln.tag in HEADINGS:
                kinds.append("heading")
            else:
                kinds.append("content")
        elif st == "unsure":
            kinds.append("unsure")
        else:
            kind = boilerplate_kind(ln)
            mark = hints.get(" ".join(tokens(ln.text))) if hints and not ln.is_alt else None
            if mark == "5":
                kind = "comment"
            elif mark == "4" and kind in {"other", "nav"}:
                kind = "related"
            kinds.append(kind)
    return kinds


# --- rendering ----------------------------------------------------------------------------

def glue(items: list[dict], rng: random.Random) -> list[dict]:
    """Join one or two short boilerplate lines to the content line after them."""
    cands = [i for i in range(len(items) - 1)
             if items[i]["kind"] not in CONTENT_KINDS | {"unsure"}
             and len(items[i]["text"].split()) <= 8 and items[i + 1]["kind"] == "content"
             and "segments" not in items[i] and "segments" not in items[i + 1]]
    if not cands:
        return items
    chosen = sorted(rng.sample(cands, min(len(cands), rng.choice([1, 1, 2]))))
    out, skip = [], set()
    for i, it in enumerate(items):
        if i in skip:
            continue
        if i in chosen and i + 1 not in chosen:
            nxt = items[i + 1]
            out.append({"text": f"{it['text']} {nxt['text']}", "kind": "content",
                        "segments": [dict(it), dict(nxt)]})
            skip.add(i + 1)
        else:
            out.append(it)
    return out


def render(items: list[dict], rng: random.Random) -> str:
    sep = "\n\n" if rng.random() < 0.5 else "\n"
    rows = []
    for it in items:
        tail = rng.choice([" ", "  ", "\u00a0", " \u00a0"]) if rng.random() < 0.2 else ""
        rows.append(it["text"] + tail)
    return sep.join(rows) + "\n"


def convert(page: srcs.SourcePage) -> tuple[dict | None, str]:
    """One corpus record for a page, or None and the reason it was skipped."""
    try:
        lines = page_lines(page.html)
        if not lines:
            return None, "no text lines (unparsable page?)"
        status, title, hints = line_status(page, lines)
        region = main_region(lines, status)
        if region is None:
            return None, "reference could not be aligned (no content line)"
        kinds = kinds_of(page, lines, status, region, title, hints)
        n_content = sum(1 for i in range(region[0], region[1] + 1) if kinds[i] in CONTENT_KINDS)
        if n_content < 3:
            return None, f"only {n_content} content lines"
        rng = random.Random(f"{_SEED}:{page.id}")
        start = max(0, region[0] - rng.randint(0, 8))
        end = min(len(lines), region[1] + 1 + rng.randint(0, 25))
        items = [{"text": lines[i].text, "kind": kinds[i]} for i in range(start, end)]
        if rng.random() < _GLUE_RATE:
            items = glue(items, rng)
        text = render(items, rng)
        content = "\n".join(it["text"] for it in items if it["kind"] in CONTENT_KINDS)
        url = original_url(page.url) if page.url else ""
        host = host_of(url) if url else ""
        guess = "" if host else (page.site_hint or "")
        site = site_of(host or guess) or f"{page.source}:{page.name}"
        import langid
        record = {
            "id": page.id, "source": page.source, "repo": page.repo, "commit": page.commit,
            "licence": page.licence, "url": url, "host": host, "site": site,
            "reference": page.reference_kind, "language": langid.classify(content)[0],
            "split": split_of(site), "lines": items, "text": text,
        }
        if guess:
            record["host_guess"] = guess
        return record, ""
    except Exception as exc:  # one bad page never stops the batch
        return None, f"{type(exc).__name__}: {exc}"


def _init(cache: str, glue_rate: float, seed: int) -> None:
    global _CACHE, _GLUE_RATE, _SEED
    _CACHE, _GLUE_RATE, _SEED = Path(cache), glue_rate, seed
    for name in ("trafilatura", "readability", "readability.readability", "htmldate",
                 "courlan", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _url_key(url: str) -> str:
    u = original_url(url).lower().split("#")[0].split("?")[0]
    u = u.split("://", 1)[-1]
    return (u[4:] if u.startswith("www.") else u).rstrip("/")


def _read_all(args) -> list[srcs.SourcePage]:
    out = []
    for name in args.sources:
        n = 0
        try:
            for page in SOURCES[name](args):
                out.append(page)
                n += 1
                if args.limit and n >= args.limit:
                    break
        except Exception as exc:
            log.error("source %s failed after %d pages: %s", name, n, exc)
        log.info("source %s: %d pages read", name, n)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--mirrors", type=Path, required=True)
    ap.add_argument("--html-sample", type=Path, default=srcs.HTML_SAMPLE)
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--glue-rate", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    args.sources = [s for s in args.sources.split(",") if s]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    unknown = [s for s in args.sources if s not in SOURCES]
    if unknown:
        ap.error(f"unknown sources: {unknown}")
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / ".cache"
    cache.mkdir(exist_ok=True)

    pages = _read_all(args)
    records, seen_url, seen_text = [], {}, {}
    skipped = Counter()
    init = (str(cache), args.glue_rate, args.seed)
    with Pool(args.workers, initializer=_init, initargs=init) as pool:
        for page, (rec, why) in zip(pages, pool.imap(convert, pages, chunksize=2)):
            if rec is None:
                log.warning("skip %s: %s", page.id, why)
                skipped[page.source] += 1
                continue
            ukey = _url_key(rec["url"]) if rec["url"] else ""
            tkey = hashlib.sha1(" ".join(tokens(" ".join(
                it["text"] for it in rec["lines"] if it["kind"] in CONTENT_KINDS))).encode()).hexdigest()
            dup = seen_url.get(ukey) if ukey else None
            dup = dup or seen_text.get(tkey)
            if dup:
                log.warning("skip %s: duplicate of %s", page.id, dup)
                skipped[page.source] += 1
                continue
            if ukey:
                seen_url[ukey] = page.id
            seen_text[tkey] = page.id
            records.append(rec)
    _fix_sites(records, measured_only(args.html_sample), srcs.sample_sites(args.html_sample))
    with open(args.out / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    stats = summarise(records, skipped)
    (args.out / "stats.json").write_text(json.dumps(stats, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    (args.out / "SOURCES.md").write_text(sources_md(records, stats), encoding="utf-8")
    log.info("wrote %d documents to %s", len(records), args.out / "corpus.jsonl")
    return 0


def measured_only(html_sample: Path) -> set[str]:
    """Ids of the corpus pages that html-sample also holds: they are only measured on.

    html-sample's trafilatura evaluation pages are also read from the trafilatura mirror (matched
    here by file name). bench/extraction.py scores the cleaner on them, so neither they nor any
    page of their sites may reach the training split.
    """
    ids = set()
    notes = html_sample / "trafilatura-eval" / "annotations.json"
    if notes.exists():
        for entry in json.loads(notes.read_text(encoding="utf-8")).values():
            name = Path(entry.get("source_path") or entry["file"]).name
            ids.add("trafilatura/" + (name[:-5] if name.endswith(".html") else name))
    return ids


def _fix_sites(records: list[dict], measured: set[str], measured_sites: set[str]) -> None:
    """Keep the split a property of the site (recomputed after every site name is final).

    A site with a page in `measured`, or named in `measured_sites`, goes to the test split
    whatever its hash says.
    """
    held = {rec["site"] for rec in records if rec["id"] in measured} | measured_sites
    for rec in records:
        rec["split"] = "test" if rec["site"] in held else split_of(rec["site"])


def summarise(records: list[dict], skipped: Counter) -> dict:
    per_source: dict[str, dict] = {}
    by_src = defaultdict(list)
    for r in records:
        by_src[r["source"]].append(r)
    for src, rs in by_src.items():
        per_source[src] = {
            "pages": len(rs), "skipped": skipped.get(src, 0),
            "hosts": len({r["host"] or r.get("host_guess") or r["site"] for r in rs}),
            "sites": len({r["site"] for r in rs}),
            "reference": dict(Counter(r["reference"] for r in rs)),
            "split": dict(Counter(r["split"] for r in rs)),
            "languages": dict(Counter(r["language"] for r in rs).most_common(8)),
            "repo": rs[0]["repo"], "commit": rs[0]["commit"], "licence": rs[0]["licence"],
        }
    kinds = Counter()
    for r in records:
        for it in r["lines"]:
            kinds[it["kind"]] += 1
            for seg in it.get("segments", []):
                kinds["segment:" + seg["kind"]] += 1
    total = sum(v for k, v in kinds.items() if not k.startswith("segment:"))
    split_sites = defaultdict(set)
    for r in records:
        split_sites[r["split"]].add(r["site"])
    return {
        "documents": len(records), "sites": len({r["site"] for r in records}),
        "split_documents": dict(Counter(r["split"] for r in records)),
        "split_sites": {k: len(v) for k, v in split_sites.items()},
        "glued_documents": sum(1 for r in records if any("segments" in it for it in r["lines"])),
        "lines": total, "unsure_share": round(kinds["unsure"] / max(total, 1), 4),
        "kinds": dict(kinds.most_common()), "per_source": per_source,
    }


def sources_md(records: list[dict], stats: dict) -> str:
    rows = ["# cleaning-train corpus\n",
            "Written by `bench/cleaning/build_corpus.py` in the archive repository; see",
            "`bench/cleaning/SOURCES.md` there for how each source was converted.\n",
            f"{stats['documents']} documents from {stats['sites']} sites; "
            f"split {stats['split_documents']} (sites {stats['split_sites']}); "
            f"{stats['lines']} lines, unsure share {stats['unsure_share']}.\n",
            "| source | repository | commit | licence | pages | hosts | sites | reference |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for src, s in stats["per_source"].items():
        rows.append(f"| {src} | {s['repo']} | {s['commit'][:12]} | {s['licence']} | {s['pages']} "
                    f"| {s['hosts']} | {s['sites']} | {', '.join(s['reference'])} |")
    rows.append("\nLine kinds: " + ", ".join(f"{k} {v}" for k, v in stats["kinds"].items()) + "\n")
    rows.append("Page contents belong to their publishers; use for research and evaluation only.\n")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
