"""Lines of a page as a scraper saves them, and their labels (content or boilerplate KIND).

Offline helper of `build_corpus.py`: nothing here enters the cleaner. Three parts:

* `page_lines(html)` walks the DOM in document order and returns one `Line` per innermost block
  (plus one per `<img alt>`), each with the tag and class/id words of its ancestors, which are
  only used to guess a boilerplate line's KIND.
* `RefIndex` scores a line against a reference text (share of its 4-word shingles found there).
* `boilerplate_kind(line)` guesses the KIND of a boilerplate line from its ancestors and its text.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sample_pages import normalise, shingles, tokens  # noqa: E402,F401 - shared with bench/extraction.py

sys.setrecursionlimit(20000)

BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote", "td", "th",
          "dd", "dt", "pre", "address", "caption", "div", "section", "article", "header", "footer",
          "nav", "aside", "ul", "ol", "dl", "table", "tr", "form", "main", "figure", "body", "label",
          "button", "center", "hr", "legend", "fieldset", "details", "summary", "option", "html"}
DROP = {"script", "style", "noscript", "template", "svg", "iframe", "head", "select", "object",
        "embed", "canvas", "video", "audio", "map", "textarea", "input", "math"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_L3S_MARK = re.compile(r"x-nc-sel(\d)")


@dataclass
class Line:
    """One scraped line with the evidence used to label it."""

    text: str
    tag: str  # innermost block element ("img" for alt text)
    ctx: tuple[tuple[str, frozenset[str]], ...]  # (tag, class/id words) of ancestors, nearest first
    is_alt: bool = False
    marks: dict[str, int] = field(default_factory=dict)  # L3S-GN1 annotation -> characters

    @property
    def words(self) -> int:
        return len(self.text.split())


def _attr_words(el) -> frozenset[str]:
    raw = " ".join(x for x in (el.get("class"), el.get("id"), el.get("itemprop"), el.get("role"))
                   if x)
    if not raw:
        return frozenset()
    raw = _CAMEL.sub(" ", raw).lower()
    words = {w for w in _WORD_SPLIT.split(raw) if w}
    # also keep the whole compound ("relatedarticles", "sharebar") for substring checks
    words |= {re.sub(r"[^a-z0-9]", "", x) for x in raw.split()}
    return frozenset(w for w in words if w)


def parse(html: str):
    """Parse a page into an lxml tree (None when it cannot be parsed)."""
    html = html.replace("\x00", "")
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml_html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (ValueError, etree.ParserError):
        return None


def page_lines(html: str, with_alt: bool = True) -> list[Line]:
    """Return the page's visible text as a scraper saves it: one `Line` per innermost block."""
    lines = _walk_html(html, with_alt)
    if len(lines) < 3:  # libxml2 sometimes loses <body> after a broken <head>: parse it alone
        m = re.search(r"<body[\s>]", html, re.I)
        if m:
            lines = _walk_html(html[m.start():], with_alt)
    return _drop_alt_duplicates(lines) if with_alt else lines


def _walk_html(html: str, with_alt: bool) -> list[Line]:
    root = parse(html)
    if root is None:
        return []
    walker = _Walker(with_alt)
    walker.walk(root)
    walker.flush()
    return walker.lines


def text_lines(html: str) -> list[str]:
    """Plain block lines of an HTML fragment (used for reference HTML such as expected.html)."""
    return [ln.text for ln in page_lines(html, with_alt=False)]


class _Walker:
    def __init__(self, with_alt: bool) -> None:
        self.with_alt = with_alt
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.stack: list[tuple[str, frozenset[str], str]] = []  # tag, words, L3S mark
        self.snap: tuple = ()
        self.marks: dict[str, int] = {}

    def add(self, text: str) -> None:
        if not text:
            return
        if not self.buf or not "".join(self.buf).strip():
            self.snap = tuple((t, w) for t, w, _ in reversed(self.stack))
        self.buf.append(text)
        mark = next((m for _, _, m in reversed(self.stack) if m), "u")
        n = len(text.strip())
        if n:
            self.marks[mark] = self.marks.get(mark, 0) + n

    def flush(self) -> None:
        if self.buf:
            text = " ".join("".join(self.buf).split())
            if text:
                tag = next((t for t, _ in self.snap if t in BLOCKS), "body")
                self.lines.append(Line(text, tag, self.snap, marks=self.marks))
            self.buf = []
            self.marks = {}

    def walk(self, el) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag:  # comment or processing instruction: only its tail is text
            self.add(el.tail or "")
            return
        if tag in DROP or _hidden(el):
            self.add(el.tail or "")
            return
        if tag == "img":
            alt = " ".join((el.get("alt") or "").split())
            if self.with_alt and _useful_alt(el, alt):
                self.flush()
                snap = tuple((t, w) for t, w, _ in reversed(self.stack))
                self.lines.append(Line(alt, "img", (("img", _attr_words(el)),) + snap, is_alt=True))
            self.add(el.tail or "")
            return
        block = tag in BLOCKS or tag == "br"
        if block:
            self.flush()
        cls = el.get("class") or ""
        m = _L3S_MARK.search(cls) if "x-nc-sel" in cls else None
        self.stack.append((tag, _attr_words(el), m.group(1) if m else ""))
        self.add(el.text or "")
        for child in el:
            self.walk(child)
        self.stack.pop()
        if block:
            self.flush()
        self.add(el.tail or "")


def _hidden(el) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    cls = el.get("class")
    return bool(cls and "x-nc-invisible" in cls)


def _useful_alt(el, alt: str) -> bool:
    if len(alt) < 3 or alt.lower() in {"image", "img", "photo", "logo", "icon", "spacer", "null"}:
        return False
    cls = (el.get("class") or "").lower()
    if "emoji" in cls or "smiley" in cls:
        return False
    for dim in ("width", "height"):
        v = el.get(dim) or ""
        if v.isdigit() and int(v) <= 32:
            return False
    return True


def _drop_alt_duplicates(lines: list[Line]) -> list[Line]:
    """Drop an alt text that repeats a caption within three lines of it."""
    out = []
    for i, ln in enumerate(lines):
        if ln.is_alt:
            key = normalise(ln.text).lower()
            near = lines[max(0, i - 3):i] + lines[i + 1:i + 4]
            if any(not x.is_alt and key and key in normalise(x.text).lower() for x in near):
                continue
        out.append(ln)
    return out


# --- matching against a reference --------------------------------------------------------

class RefIndex:
    """A reference text, ready to score lines against."""

    def __init__(self, text: str) -> None:
        toks = tokens(text)
        self.empty = not toks
        self.shingles = shingles(toks)
        self.joined = f" {' '.join(toks)} "
        self.lines = {" ".join(tokens(x)) for x in text.split("\n") if x.strip()}

    def score(self, line: str) -> float | None:
        """Share of the line found in the reference: 1 = all, 0 = none, None = no words.

        Lines of 4+ tokens: the share of their 4-word shingles found in the reference.
        Shorter lines: 1.0 when they are a whole reference line (a subheading), 0.5 when they
        only occur inside a longer reference line (ambiguous), else 0.0.
        """
        toks = tokens(line)
        if not toks:
            return None
        if len(toks) >= 4:
            sh = shingles(toks)
            return len(sh & self.shingles) / len(sh)
        joined = " ".join(toks)
        if joined in self.lines:
            return 1.0
        return 0.5 if f" {joined} " in self.joined else 0.0


# --- the KIND of a boilerplate line ------------------------------------------------------

# (kind, whole words, substrings) checked on the class/id words of each ancestor, nearest first
_CTX_RULES: list[tuple[str, set[str], tuple[str, ...]]] = [
    ("caption", {"caption", "figcaption", "legend", "wp-caption-text"}, ("caption",)),
    ("credit", {"credit", "credits", "photographer", "photocredit"}, ("credit",)),
    ("share", {"share", "shares", "social", "sharing", "sociable", "addthis", "sharethis",
               "follow"}, ("share", "social", "addthis")),
    ("paywall", {"paywall", "meter", "piano", "regwall", "tp"}, ("paywall", "regwall")),
    ("promo", {"newsletter", "subscribe", "subscription", "signup", "promo", "donate",
               "donation", "membership", "cta", "optin"}, ("newsletter", "subscri", "signup",
                                                            "promo", "donat")),
    ("related", {"related", "recommended", "recommend", "outbrain", "taboola", "teaser",
                 "teasers", "trending", "popular", "mostread", "most", "also", "next"},
     ("related", "recommend", "morestories", "readnext", "outbrain", "taboola", "trending",
      "popular", "mostread")),
    ("comment", {"comment", "comments", "disqus", "respond", "reply", "replies", "discussion"},
     ("comment", "disqus")),
    ("tags", {"tag", "tags", "topic", "topics", "keyword", "keywords", "categories", "category",
              "labels"}, ("tags", "keyword", "topics")),
    ("bio", {"bio", "biography", "authorbio", "about"}, ("authorbio", "aboutauthor", "authorinfo")),
    ("byline", {"byline", "author", "authors", "writer", "contributor", "by"},
     ("byline", "author")),
    ("edition", {"edition", "editions", "lang", "language", "languages", "translation"},
     ("edition", "language")),
    ("ad", {"ad", "ads", "advert", "advertisement", "sponsor", "sponsored", "dfp", "gpt",
            "banner", "adsense", "anzeige"}, ("advert", "sponsor", "adslot", "adunit",
                                               "adsense", "adcontainer")),
    ("date", {"date", "time", "timestamp", "published", "dateline", "pubdate", "updated"},
     ("timestamp", "pubdate", "datetime", "publishdate", "dateline")),
    ("legal", {"copyright", "legal", "imprint", "impressum", "disclaimer", "terms", "privacy"},
     ("copyright", "disclaimer")),
    ("nav", {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "masthead",
             "topbar", "pagination", "pager", "skip"}, ("navigation", "menu", "breadcrumb")),
]
# weak ancestors: consulted only when neither the strong ancestors nor the text decide
_WEAK = [("legal", {"footer", "foot", "bottom"}), ("nav", {"header", "head", "top", "sidebar"})]

_TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p, re.I)) for k, p in [
    ("legal", r"^\s*(©|\(c\)|copyright\b|all rights reserved|alle rechte vorbehalten|"
              r"terms of (use|service)|privacy policy|impressum\b|datenschutz)"),
    ("credit", r"^(photo|image|picture|foto|bild|credit|photograph|source)s?\s*[:|/©]|"
               r"\b(getty images|reuters|afp|ap photo|shutterstock|istock|dpa|imago)\s*$"),
    ("ad", r"^(advertisement|advertising|anzeige|sponsored|werbung|publicité|publicidad|ad)$"),
    ("related", r"^(related|more|most|top|latest|recent|popular|other|similar) ?(\w+ )?"
                r"(stories|articles|news|headlines|links|posts|coverage|videos|read|viewed|"
                r"emailed|shared)\b|^(related|you may also like|recommended|mehr zum thema|"
                r"das könnte sie auch interessieren)\s*:?$"),
    ("read_more", r"^(read more|see also|more:|read also|continue reading|lesen sie auch|"
                  r"mehr zum thema|weiterlesen|more on this|related:|also read|lire aussi|"
                  r"leia também|read the full|click here)"),
    ("share", r"^(share|tweet|pin it|email|e-mail|print|facebook|twitter|whatsapp|pinterest|"
              r"linkedin|reddit|teilen|flipboard|messenger|telegram|copy link|xing)\b"),
    ("promo", r"(subscribe|newsletter|sign up|signup|download (our|the) app|donate|"
              r"abonnieren|register now|become a member|support (our|us)|free trial)"),
    ("paywall", r"(subscribers only|already a subscriber|to continue reading|log in to read|"
                r"premium article|abo\b|exklusiv für abonnenten)"),
    ("comment", r"(\bcomments?\b|leave a reply|kommentar|add your comment|post a comment|"
                r"join the conversation|comentarios)"),
    ("tags", r"^(tags?|topics?|themen|schlagwörter|keywords|filed under|categories)\s*:"),
    ("byline", r"^(by|von|par|por|di)\s+[A-ZÀ-Ý][\w.'-]+"),
    ("date", r"^((updated|published|posted|veröffentlicht|aktualisiert|stand)\s*:?\s*)?"
             r"((mon|tues|wednes|thurs|fri|satur|sun)day,? |(montag|dienstag|mittwoch|"
             r"donnerstag|freitag|samstag|sonntag),? )?"
             r"([A-Za-zäéû]+\.? \d{1,2},? \d{4}|\d{1,2}\.? [A-Za-zäéû]+\.? \d{4}|"
             r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4})([ ,|-]+(at )?\d{1,2}[:.]\d{2}\s*(am|pm|uhr)?"
             r"( [A-Z]{2,4})?)?$"),
    ("nav", r"^(home|menu|search|skip to (main )?content|back to top|next|previous|"
            r"log ?in|sign in|startseite|suche)$"),
]]


def boilerplate_kind(line: Line) -> str:
    """Guess a boilerplate line's KIND from its ancestors, then from its text; else 'other'."""
    if line.is_alt:
        return "alt_text"
    for tag, words in line.ctx[:10]:
        if tag in {"figcaption"}:
            return "caption"
        if tag == "time":
            return "date"
        if tag == "nav":
            return "nav"
        if tag in {"body", "html"}:
            break
        for kind, whole, subs in _CTX_RULES:
            if words & whole or any(s in w for w in words for s in subs):
                return kind
        if tag == "figure":
            return "caption"
    text = line.text.strip()
    for kind, pat in _TEXT_RULES:
        if kind in {"share", "nav", "byline", "date", "ad"} and line.words > 12:
            continue
        if pat.search(text):
            return kind
    if line.words >= 5 and any(tag == "a" for tag, _ in line.ctx[:3]):
        return "related"  # a headline-like link outside the article: a teaser
    for tag, words in line.ctx[:12]:
        if tag == "footer":
            return "legal"
        if tag == "header":
            return "nav"
        for kind, whole in _WEAK:
            if words & whole:
                return kind
    return "other"
