"""Read the html-sample corpus: pages, their reference texts, and lines labelled against them.

Used offline, by the extraction benchmark (`bench/extraction.py`) and the cleaning corpus's line
labels (`bench/cleaning/labels.py`). It lives under bench/, not in the package: the archive itself
never reads a test-page corpus.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote", "td", "th",
           "dd", "dt", "pre", "address", "caption", "div", "section", "article", "header", "footer",
           "nav", "aside", "ul", "ol", "table", "tr", "form", "main", "figure", "body", "label", "button"}
_DROP = {"script", "style", "noscript", "template", "svg", "iframe", "head", "select"}
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
_PARSER = lxml_html.HTMLParser(encoding="utf-8")


@dataclass
class Page:
    """One page of the sample with what is known about its main text."""

    name: str
    kind: str  # "trafilatura-eval" or "readability"
    html: str
    reference: str = ""  # readability: the text of expected.html
    with_: list[str] = field(default_factory=list)  # trafilatura-eval: snippets that must be kept
    without: list[str] = field(default_factory=list)  # ... and snippets that must not


def read_pages(root: Path) -> Iterator[Page]:
    """Yield every page of html-sample, in a stable order."""
    ann = json.loads((root / "trafilatura-eval" / "annotations.json").read_text(encoding="utf-8"))
    for entry in sorted(ann.values(), key=lambda e: e["file"]):
        html = _read_gz(root / "trafilatura-eval" / "html" / entry["file"])
        yield Page(entry["file"], "trafilatura-eval", html, with_=entry["with"], without=entry["without"])
    for folder in sorted((root / "readability-testpages").iterdir()):
        if (folder / "source.html.gz").exists():
            expected = _read_gz(folder / "expected.html.gz")
            yield Page(folder.name, "readability", _read_gz(folder / "source.html.gz"),
                       reference="\n".join(block_lines(expected)))


def _read_gz(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        return fh.read()


def block_lines(html: str) -> list[str]:
    """Return the page's visible text as it would be scraped: one line per innermost block."""
    try:
        root = lxml_html.fromstring(html.encode("utf-8", "replace"), parser=_PARSER)
    except (ValueError, etree.ParserError):
        return []
    lines: list[str] = []
    _walk(root, lines, [])
    return [t for t in (" ".join(x.split()) for x in lines) if t]


def _walk(el: etree._Element, lines: list[str], buf: list[str]) -> None:
    """Collect text, starting a new line at every block element."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _DROP:
        if el.tail:
            buf.append(el.tail)
        return
    block = tag in _BLOCKS or tag == "br"
    if block:
        _flush(lines, buf)
    if el.text and tag not in _DROP:
        buf.append(el.text)
    for child in el:
        _walk(child, lines, buf)
    if block:
        _flush(lines, buf)
    if el.tail:
        buf.append(el.tail)


def _flush(lines: list[str], buf: list[str]) -> None:
    if buf:
        lines.append("".join(buf))
        buf.clear()


def tokens(text: str) -> list[str]:
    """Return lower-cased word tokens; each CJK character is a token of its own."""
    return _TOKEN.findall(text.lower())


def shingles(toks: list[str], n: int = 4) -> set[tuple[str, ...]]:
    """Return the set of n-word shingles of a token list (the whole list when shorter)."""
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def normalise(text: str) -> str:
    """Collapse whitespace, as the trafilatura-eval snippets are matched upstream."""
    return " ".join(text.split())


class Labeller:
    """Decide whether a line of a page belongs to its main text, from the page's reference."""

    def __init__(self, page: Page, extracted: str = "") -> None:
        if page.kind == "readability":
            ref = page.reference
        else:  # only snippets are known: trafilatura's own extraction stands in for the rest
            ref = extracted
        self.ref_tokens = " ".join(tokens(ref))
        self.ref_shingles = shingles(tokens(ref))
        self.ref_lines = {" ".join(tokens(x)) for x in ref.split("\n")}
        self.with_ = [normalise(s) for s in page.with_]
        self.without = [normalise(s) for s in page.without]

    def is_content(self, line: str) -> bool | None:
        """Return True for main text, False for boilerplate, None when the line has no words."""
        norm = normalise(line)
        if any(s in norm for s in self.without):
            return False
        if any(s in norm for s in self.with_):
            return True
        toks = tokens(line)
        if not toks:
            return None
        if len(toks) >= 4:
            sh = shingles(toks)
            return len(sh & self.ref_shingles) / len(sh) >= 0.5
        joined = " ".join(toks)
        return joined in self.ref_lines or (len(toks) >= 3 and f" {joined} " in f" {self.ref_tokens} ")
