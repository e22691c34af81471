"""Clean an HTML page: main text from trafilatura, metadata from the page's own markup.

Stages:
1. parse the page with BeautifulSoup (lxml) and read its metadata (title, site name, date,
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

from bs4 import BeautifulSoup, Tag

from archive.clean.meta import normalise_date
from archive.clean.text import clean_text
from archive.documents import Removed

logger = logging.getLogger(__name__)

_MIN_MAIN_TEXT = 200  # characters; below this the extraction is treated as a failure
_BLOCK_TAGS = ["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote", "td", "dd", "dt", "pre", "address"]
_DROP_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "head"]
# Where a block sits tells why it is boilerplate; the first match (innermost ancestor) wins.
_PLACE_REASONS = (
    (("nav",), r"nav|menu|breadcrumb", "navigation"),
    (("footer",), r"footer", "page footer"),
    (("header",), r"masthead|site-header|topbar", "page header"),
    (("figcaption",), r"caption|credit", "photo caption"),
    ((), r"share|social|sharing", "share buttons"),
    ((), r"newsletter|subscribe|signup|sign-up|promo", "promo: newsletter or subscription"),
    ((), r"cookie|consent|gdpr", "cookie banner"),
    ((), r"related|recommend|more-stories|read-more|trending|popular", "related links list"),
    ((), r"comment", "reader comments"),
    (("aside",), r"sidebar|widget", "sidebar"),
    (("form",), r"", "form"),
    ((), r"\bad\b|advert|sponsor", "advertisement"),
)


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


def clean_html(raw: str, *, learnt: frozenset[str] = frozenset()) -> CleanHtml:
    """Clean one HTML page."""
    soup = BeautifulSoup(raw, "lxml")
    meta = read_metadata(soup)
    main, notes = _main_text(raw, soup)
    cleaned = clean_text(main, learnt=learnt, source_hint=meta["source"])
    paragraphs = cleaned.paragraphs
    if paragraphs and meta["title"] and _same(paragraphs[0], meta["title"]):
        paragraphs = paragraphs[1:]
    text = "\n\n".join(paragraphs)
    removed = _left_out_blocks(soup, text) + cleaned.removed
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
    )


def read_metadata(soup: BeautifulSoup) -> dict[str, str]:
    """Return title, source (site name), date, url, language and author from the page's markup."""
    def meta(*keys: str) -> str:
        for key in keys:
            tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
            if isinstance(tag, Tag) and tag.get("content"):
                return " ".join(str(tag["content"]).split())
        return ""

    title = meta("og:title", "twitter:title", "dc.title")
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else ""
    if not title and soup.title:
        title = re.split(r"\s+[|–—-]\s+", soup.title.get_text(" ", strip=True))[0]
    date = meta("article:published_time", "og:published_time", "datePublished", "date", "pubdate",
                "publishdate", "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date")
    if not date:
        item = soup.find(attrs={"itemprop": "datePublished"})
        if isinstance(item, Tag):
            date = str(item.get("content") or item.get("datetime") or item.get_text())
    if not date:
        t = soup.find("time", attrs={"datetime": True})
        date = str(t["datetime"]) if isinstance(t, Tag) else ""
    canonical = soup.find("link", attrs={"rel": "canonical"})
    url = str(canonical["href"]) if isinstance(canonical, Tag) and canonical.get("href") else meta("og:url")
    html = soup.find("html")
    lang = str(html.get("lang") or "") if isinstance(html, Tag) else ""
    return {
        "title": " ".join(title.split()),
        "source": meta("og:site_name", "application-name", "publisher"),
        "date": normalise_date(date),
        "url": url.strip(),
        "language": lang.split("-")[0].split("_")[0].lower()[:3],
        "author": meta("author", "article:author", "dc.creator"),
    }


def _main_text(raw: str, soup: BeautifulSoup) -> tuple[str, list[str]]:
    """Return the page's main text (one paragraph per line) and notes about how it was found."""
    import trafilatura

    try:
        text = trafilatura.extract(raw, include_comments=False, include_tables=True, deduplicate=False) or ""
    except Exception as exc:  # noqa: BLE001 - the extractor must never abort a batch
        logger.warning("trafilatura failed: %s", exc)
        text = ""
    if len(text) >= _MIN_MAIN_TEXT:
        return text, []
    fallback = _fallback_text(soup)
    if len(fallback) > len(text):
        return fallback, ["main-text extractor returned too little; used the page's paragraphs outside navigation, header, footer and asides"]
    return text, ["main-text extractor returned too little text"] if not text else []


def _fallback_text(soup: BeautifulSoup) -> str:
    body = soup.body or soup
    lines = []
    for el in body.find_all(_BLOCK_TAGS):
        if _place_reason(el) or el.find(_BLOCK_TAGS):
            continue
        text = el.get_text(" ", strip=True)
        if text:
            lines.append(text)
    return "\n".join(lines)


def _left_out_blocks(soup: BeautifulSoup, kept: str) -> list[Removed]:
    """Return the page's visible blocks that are not in the kept text, with a reason for each."""
    for el in soup.find_all(_DROP_TAGS):
        el.decompose()
    kept_norm = _norm(kept)
    out, seen = [], set()
    body = soup.body or soup
    for el in body.find_all(_BLOCK_TAGS + ["a", "button", "span", "div"]):
        if el.name in ("div", "span", "a", "button") and el.find(_BLOCK_TAGS + ["div"]):
            continue
        text = " ".join(el.get_text(" ", strip=True).split())
        if not text or text in seen or (el.name in ("a", "span") and el.find_parent(_BLOCK_TAGS)):
            continue
        seen.add(text)
        if _norm(text) in kept_norm:
            continue
        out.append(Removed(text, _place_reason(el) or "outside the main text", -1, -1))
    return out


def _place_reason(el: Tag) -> str | None:
    node: Tag | None = el
    while isinstance(node, Tag) and node.name not in ("body", "html", "article", "main"):
        marks = " ".join([node.get("id") or "", *(node.get("class") or []), node.get("role") or ""]).lower()
        for tags, pattern, reason in _PLACE_REASONS:
            if node.name in tags or (pattern and marks and re.search(pattern, marks)):
                return reason
        node = node.parent
    return None


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _same(a: str, b: str) -> bool:
    return _norm(a) == _norm(b)
