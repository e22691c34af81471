"""Clean an HTML page: main text from trafilatura, metadata from the page's own markup.

Stages:
1. parse the page with lxml and read its metadata (title, site name, date,
   canonical URL, language, author);
2. extract the main text with trafilatura (headings and paragraph breaks kept); when it returns
   too little, fall back to the page's paragraphs outside navigation, header, footer and asides,
   and say so;
3. pass the extracted text through the plain-text cleaner, which removes promo lines that
   extractors keep ("Read more: …", newsletter boxes);
4. record every visible block of the page that was left out, with the reason its place in the
   page gives (navigation, footer, share buttons, caption, …).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from lxml import etree

from archive.clean.blocks import Block, page_blocks, parse_html
from archive.clean.classify import LineModel
from archive.clean.meta import normalise_date
from archive.clean.rules import matching_rules
from archive.clean.text import clean_text
from archive.documents import Removed

logger = logging.getLogger(__name__)

_TITLE_SEARCH = 3  # the headline is looked for among the first paragraphs of the extracted text
_MIN_MAIN_TEXT = 200  # characters; below this the extraction is treated as a failure
_FALLBACK_NOTE = ("main-text extractor returned too little; used the page's blocks outside navigation, "
                  "header, footer, asides and other boilerplate places")
_DATE_KEYS = ("article:published_time", "og:published_time", "datePublished", "date", "pubdate",
              "publishdate", "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date")


@dataclass
class CleanHtml:
    """The cleaned text of a page, what was left out, and the page's metadata."""

    text: str
    removed: list[Removed] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    title: str = ""
    source: str = ""
    date: str = ""
    url: str = ""
    language: str = ""
    author: str = ""
    notes: list[str] = field(default_factory=list)
    dropped_title: bool = False  # the extracted text began with the title, which was taken out of it


def clean_html(raw: str, *, learnt: frozenset[str] = frozenset(),
               model: LineModel | None | str = "default") -> CleanHtml:
    """Clean one HTML page (`model` as for `clean_text`)."""
    root = parse_html(raw)
    meta = read_metadata(root)
    blocks = page_blocks(root) if root is not None else []
    main, notes = _main_text(raw, blocks)
    cleaned = clean_text(main, learnt=learnt, source_hint=meta["source"], model=model)
    paragraphs, labels = _drop_title(cleaned.paragraphs, meta["title"])
    dropped = len(paragraphs) < len(cleaned.paragraphs)
    text = "\n\n".join(paragraphs)
    # Blocks the extractor kept but the text cleaner removed are reported by the cleaner, with its reason.
    removed = _left_out_blocks(blocks, main) + labels + cleaned.removed
    return CleanHtml(
        text=text,
        removed=removed,
        paragraphs=paragraphs,
        title=meta["title"],
        source=cleaned.source,
        date=meta["date"],
        url=meta["url"],
        language=meta["language"],
        author=meta["author"],
        notes=notes,
        dropped_title=dropped,
    )


def read_metadata(root: etree._Element | None) -> dict[str, str]:
    """Return title, source (site name), date, url, language and author from the page's markup."""
    if root is None:
        return dict.fromkeys(("title", "source", "date", "url", "language", "author"), "")
    page = root

    def meta(*keys: str) -> str:
        for key in keys:
            for value in page.xpath("//meta[@property=$k or @name=$k or @itemprop=$k]/@content", k=key):
                if value.strip():
                    return " ".join(value.split())
        return ""

    def first(path: str) -> str:
        found = page.xpath(path)
        if not found:
            return ""
        item = found[0]
        return " ".join((item if isinstance(item, str) else item.text_content()).split())

    title = meta("og:title", "twitter:title", "dc.title") or first("//h1")
    if not title:
        title = re.split(r"\s+[|–—-]\s+", first("//title"))[0]
    date = meta(*_DATE_KEYS) or first("//*[@itemprop='datePublished']/@datetime") or \
        first("//*[@itemprop='datePublished']") or first("//time/@datetime")
    url = first("//link[@rel='canonical']/@href") or meta("og:url")
    lang = first("/html/@lang") or first("//html/@lang")
    return {
        "title": title,
        "source": meta("og:site_name", "application-name", "publisher"),
        "date": normalise_date(date),
        "url": url.strip(),
        "language": lang.split("-")[0].split("_")[0].lower()[:3],
        "author": meta("author", "article:author", "dc.creator"),
    }


def _main_text(raw: str, blocks: list[Block]) -> tuple[str, list[str]]:
    """Return the page's main text (one paragraph per line) and notes about how it was found."""
    import trafilatura

    try:
        text = trafilatura.extract(raw, include_comments=False, include_tables=True, deduplicate=False) or ""
    except Exception as exc:  # noqa: BLE001 - the extractor must never abort a batch
        logger.warning("trafilatura failed: %s", exc)
        text = ""
    if len(text) >= _MIN_MAIN_TEXT:
        return text, []
    fallback = "\n".join(b.text for b in blocks if b.place is None)
    # A short extraction that took in menus or footers is worse than the page's own unmarked blocks.
    marked = {_norm(b.text) for b in blocks if b.place}
    leaked = any(_norm(line) in marked for line in text.split("\n") if line.strip())
    if fallback and (len(fallback) > len(text) or leaked):
        return fallback, [_FALLBACK_NOTE]
    return text, ["main-text extractor returned too little text"] if not text else []


def _drop_title(paragraphs: list[str], title: str) -> tuple[list[str], list[Removed]]:
    """Take the headline out of the text (it is the title) with the section labels above it."""
    if not title:
        return paragraphs, []
    for k, para in enumerate(paragraphs[:_TITLE_SEARCH]):
        if _same(para, title):
            above = paragraphs[:k]
            if all(_is_label(p) for p in above):
                return paragraphs[k + 1:], [Removed(p, "section label above the headline", -1, 0) for p in above]
            return paragraphs[:k] + paragraphs[k + 1:], []
    return paragraphs, []


def _is_label(text: str) -> bool:
    """Return True for a kicker such as 'Business' or 'North Korea': a few words, no sentence."""
    return "\n" not in text and len(text.split()) <= 4 and not text.rstrip().endswith((".", "!", "?"))


def _left_out_blocks(blocks: list[Block], kept: str) -> list[Removed]:
    """Return the page's visible blocks that are not in the kept text, with a reason for each."""
    in_order = [_norm(x) for x in kept.split("\n")]
    kept_lines = set(in_order)
    # The kept lines in their order: a block the extractor split over two lines is found across
    # them (joined in the set's order, which follows string hashing, a block was found or not
    # from one process to the next).
    kept_norm = f" {' '.join(in_order)} "
    out, seen = [], set()
    for block in blocks:
        if block.text in seen:
            continue
        seen.add(block.text)
        norm = _norm(block.text)
        # A short block ("News") is kept only as a whole line: as a substring it would match anywhere.
        if norm in kept_lines or (len(norm.split()) >= 4 and f" {norm} " in kept_norm):
            continue
        rules = matching_rules(block.text)
        reason = block.place or (rules[0].reason if rules else "outside the main text")
        out.append(Removed(block.text, reason, -1, -1))
    return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _same(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)
