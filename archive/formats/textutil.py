"""Small text helpers the readers share: joining wrapped lines, and XML text in reading order."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# PDFium marks a hyphen it knows to be a line-end break with \x02; others use a soft hyphen.
_SOFT_HYPHENS = ("\x02", "\xad", "\ufffe")
_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_SPACES = re.compile(r"[ \t\u00a0]+")


def join_lines(lines: list[str]) -> str:
    """Join the wrapped lines of one paragraph; a word hyphenated at a line end is joined again."""
    out = ""
    for line in lines:
        line = _SPACES.sub(" ", line).strip()
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith(_SOFT_HYPHENS) or (out.endswith("-") and line[:1].islower() and _HYPHEN_END.search(out)):
            out = out[:-1] + line
        else:
            out = f"{out} {line}"
    if "\x02" in out or "\xad" in out or "\ufffe" in out:
        for mark in _SOFT_HYPHENS:
            out = out.replace(mark, "")
    return out


def squeeze(text: str) -> str:
    """Collapse runs of spaces and strip."""
    return _SPACES.sub(" ", text).strip()


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
# Text is handed to lxml as UTF-8 with the encoding said, so a <meta charset> cannot mislead it.
_HTML_PARSER = lxml.html.HTMLParser(encoding="utf-8")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([\w.-]+)""")
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "table",
           "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "hr", "figure",
           "figcaption", "aside", "nav", "address", "main", "body"}
_DROP = {"script", "style", "head", "title", "noscript", "template"}


def _decode_markup(data: bytes) -> str:
    """Decode XHTML bytes by their XML declaration (UTF-8 when there is none)."""
    m = _XML_ENCODING.match(data)
    try:
        return data.decode(m.group(1).decode("ascii") if m else "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def safe_xml(data: bytes) -> etree._Element:
    """Parse XML without resolving external entities or reaching the network."""
    return etree.fromstring(data, parser=_XML_PARSER)


def html_paragraphs(data: bytes | str) -> tuple[str, list[str]]:
    """Return (title, paragraphs) of an HTML or XHTML page: one paragraph per block element."""
    text = data if isinstance(data, str) else _decode_markup(data)
    if not text.strip():
        return "", []
    root = lxml.html.fromstring(text.encode("utf-8"), parser=_HTML_PARSER)
    title_el = root.find(".//title")
    title = squeeze(title_el.text_content()) if title_el is not None else ""
    paras: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = squeeze("".join(buf).replace("\n", " "))
        if text:
            paras.append(text)
        buf.clear()

    def walk(el: etree._Element) -> None:
        tag = el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""
        if tag in _DROP or not tag:
            buf.append(el.tail or "")
            return
        block = tag in _BLOCKS
        if block:
            flush()
        buf.append(el.text or "")
        for child in el:
            walk(child)
        if tag in ("td", "th", "br"):
            buf.append(" ")
        if block:
            flush()
        buf.append(el.tail or "")

    walk(root)
    flush()
    return title, paras
