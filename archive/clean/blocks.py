"""Parse HTML with lxml and list a page's visible text blocks with the reason their place gives.

One pass over the tree: a new block starts at every block element, and the innermost block
element that holds the text decides its place (navigation, footer, share buttons, caption, …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

BLOCK_TAGS = frozenset(
    "p li h1 h2 h3 h4 h5 h6 figcaption blockquote td th dd dt pre address caption div section article "
    "header footer nav aside ul ol table tr form main figure body label button".split()
)
DROP_TAGS = frozenset("script style noscript template svg iframe head select option".split())
_STOP = frozenset(("body", "html", "article", "main"))
# Where a block sits tells why it is boilerplate; the innermost element that matches wins.
_PLACE_REASONS = (
    (("nav",), r"nav|menu|breadcrumb", "navigation"),
    (("footer",), r"footer|colophon", "page footer"),
    (("header",), r"masthead|site-header|topbar", "header area"),
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
_COMPILED = tuple((tags, re.compile(rx) if rx else None, reason) for tags, rx, reason in _PLACE_REASONS)
_UTF8 = lxml_html.HTMLParser(encoding="utf-8")


@dataclass
class Block:
    """A run of visible text between block boundaries, and why its place makes it boilerplate."""

    text: str
    place: str | None


def parse_html(raw: str) -> etree._Element | None:
    """Return the page's root element, or None when there is nothing to parse."""
    if not raw.strip():
        return None
    try:
        return lxml_html.document_fromstring(raw.encode("utf-8", "replace"), parser=_UTF8)
    except (etree.ParserError, ValueError):
        return None


def page_blocks(root: etree._Element) -> list[Block]:
    """Return the visible text blocks of a page in order, each with its place reason."""
    body = root.find("body")
    out: list[Block] = []
    buf: list[str] = []
    memo: dict[etree._Element, str | None] = {}
    _walk(body if body is not None else root, out, buf, memo)
    return out


def _walk(el: etree._Element, out: list[Block], buf: list[str], memo: dict) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in DROP_TAGS or not tag:
        if el.tail:
            buf.append(el.tail)
        return
    block = tag in BLOCK_TAGS or tag == "br"
    if block:
        _flush(out, buf, el.getparent(), memo)
    if el.text:
        buf.append(el.text)
    for child in el:
        _walk(child, out, buf, memo)
    if block:
        _flush(out, buf, el, memo)
    if el.tail:
        buf.append(el.tail)


def _flush(out: list[Block], buf: list[str], owner: etree._Element | None, memo: dict) -> None:
    if buf:
        text = " ".join("".join(buf).split())
        buf.clear()
        if text:
            out.append(Block(text, place_reason(owner, memo) if owner is not None else None))


def place_reason(el: etree._Element, memo: dict) -> str | None:
    """Return the reason the element's place (or an ancestor's, below the article) gives."""
    if el in memo:
        return memo[el]
    tag = el.tag if isinstance(el.tag, str) else ""
    reason = None
    if tag not in _STOP:
        marks = " ".join((el.get("id") or "", el.get("class") or "", el.get("role") or "")).lower().strip()
        for tags, rx, why in _COMPILED:
            if tag in tags or (rx is not None and marks and rx.search(marks)):
                reason = why
                break
        parent = el.getparent()
        if reason is None and parent is not None:
            reason = place_reason(parent, memo)
    memo[el] = reason
    return reason
