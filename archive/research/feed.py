"""The Atom 1.0 feed of a saved search: one entry per document a run added or changed since it was saved."""

from __future__ import annotations

from urllib.parse import quote
from xml.etree import ElementTree as ET

from archive.research.runs import Run
from archive.research.saved import Status

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 100
EPOCH = "1970-01-01T00:00:00Z"


def atom(status: Status, base_url: str, runs: list[Run]) -> bytes:
    """Return the feed as UTF-8 XML; `base_url` is the app's absolute root (no trailing slash)."""
    ET.register_namespace("", ATOM)
    finished = {r.id: r.finished or r.started for r in runs}
    saved = status.saved
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{base_url}/feeds/{quote(saved.name)}.atom")
    _text(feed, "title", f"Archive: {saved.name}")
    _text(feed, "subtitle", f"New documents for the saved search {saved.query}")
    updated = max([finished.get(d.run_id, EPOCH) for d in status.feed] + [saved.created])
    _text(feed, "updated", updated)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Archive")
    _link(feed, f"{base_url}/feeds/{quote(saved.name)}.atom", "self", "application/atom+xml")
    _link(feed, f"{base_url}/saved/{quote(saved.name)}", "alternate", "text/html")
    for doc in status.feed[:MAX_ENTRIES]:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base_url}/doc/{doc.id}"
        _text(entry, "id", f"{url}#run-{doc.run_id}")  # a changed document is a new entry
        _text(entry, "title", doc.title or doc.relpath)
        _text(entry, "updated", finished.get(doc.run_id, saved.created))
        if doc.date:
            _text(entry, "published", f"{doc.date}T00:00:00Z")
        _link(entry, url, "alternate", "text/html")
        _text(entry, "summary", _summary(doc.text))
        category = ET.SubElement(entry, f"{{{ATOM}}}category")
        category.set("term", doc.source or doc.collection)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = _clean(text)


def _link(parent: ET.Element, href: str, rel: str, kind: str) -> None:
    link = ET.SubElement(parent, f"{{{ATOM}}}link")
    link.set("href", href)
    link.set("rel", rel)
    link.set("type", kind)


def _summary(text: str, chars: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + "…"


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters other than tab and line breaks)."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)
