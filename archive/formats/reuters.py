"""Read Reuters-21578 SGML: each <REUTERS> element is a part with its date, title, dateline and categories.

The files are SGML, not XML (unescaped '<' in bodies, control characters as &#N;), so elements
are cut out with regular expressions rather than an XML parser. One file (reut2-017.sgm) is not
valid UTF-8; a file that fails UTF-8 is read as Latin-1, which cannot fail.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime

from archive.documents import Removed
from archive.formats.model import Context, Part
from archive.formats.textutil import join_lines, squeeze

_ELEMENT = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_D = re.compile(r"<D>(.*?)</D>", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?")
_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                       "OCT", "NOV", "DEC"), 1)}
_LISTS = ("topics", "places", "people", "orgs", "exchanges", "companies")


def read_reuters(name: str, data: bytes, ctx: Context) -> Iterator[Part]:
    """Yield one part per <REUTERS> element; elements with neither title nor body are skipped with a reason."""
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        source = data.decode("latin-1")
    found = False
    for index, m in enumerate(_ELEMENT.finditer(source), 1):
        found = True
        yield _element(m.group(1), m.group(2), index)
    if not found:
        yield Part(error="no <REUTERS> element found", format="reuters-sgml")


def _element(attrs_text: str, inner: str, index: int) -> Part:
    """Return the part for one element."""
    attrs = {k.lower(): v for k, v in _ATTR.findall(attrs_text)}
    subpath = f"#{attrs.get('newid') or index}"
    meta: dict = {k: attrs[k] for k in ("newid", "oldid", "lewissplit", "cgisplit") if k in attrs}
    for field in _LISTS:
        values = [_text(v) for v in _D.findall(_field(inner, field.upper()))]
        if values:
            meta[field] = values
    meta.update(_date(_text(_field(inner, "DATE"))))
    text_el = _field(inner, "TEXT")
    text_type = (re.search(r'<TEXT\s+TYPE="(\w+)"', inner) or [None, "NORM"])[1]
    title = squeeze(_text(_field(text_el, "TITLE")))
    dateline = squeeze(_text(_field(text_el, "DATELINE"))).rstrip(" -")
    body = _field(text_el, "BODY")
    if not body and text_type == "UNPROC":
        body = _TAGS.sub(" ", text_el)
    paragraphs, removed = _body(_text(body))
    if dateline:
        meta["dateline"] = dateline
    meta["text_type"] = text_type
    if not title and not paragraphs:
        return Part(subpath=subpath, skipped=f"no title and no body (TEXT TYPE={text_type})", meta=meta,
                    format="reuters-sgml")
    if not title and paragraphs and len(paragraphs[0]) <= 100:  # UNPROC items open with a headline
        title = paragraphs[0]
        meta["title_source"] = "first line"
    text = "\n\n".join(paragraphs)
    for r in removed:
        r.at = len(text)
    return Part(subpath=subpath, title=title, text=text, meta=meta, removed=removed, format="reuters-sgml")


def _field(source: str, tag: str) -> str:
    """Return the raw content of the first <TAG ...>...</TAG> in source, or ''."""
    m = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", source, re.DOTALL)
    return m.group(1) if m else ""


def _text(raw: str) -> str:
    """Resolve SGML entities and drop the control characters the wire service used as markers."""
    return _CONTROL.sub("", html.unescape(raw))


def _body(body: str) -> tuple[list[str], list[Removed]]:
    """Split a body into paragraphs (an indented line starts one) and remove the "Reuter" sign-off."""
    removed = []
    body = body.rstrip()
    if body[-6:].lower() == "reuter" and (len(body) == 6 or not body[-7].isalnum()):
        removed.append(Removed(body[-6:], "news-wire sign-off", start=len(body) - 6))
        body = body[:-6]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in body.split("\n"):
        if (not line.strip() or line[:1].isspace()) and current:
            paragraphs.append(join_lines(current))
            current = []
        if line.strip():
            current.append(line)
    if current:
        paragraphs.append(join_lines(current))
    return [p for p in paragraphs if p], removed


def _date(value: str) -> dict:
    """Parse "26-FEB-1987 15:01:01.79" into date and datetime; an unreadable date gives nothing."""
    m = _DATE.search(value)
    if not m or m.group(2).upper() not in _MONTHS:
        return {"date_raw": value} if value.strip() else {}
    day, month, year = int(m.group(1)), _MONTHS[m.group(2).upper()], int(m.group(3))
    try:
        moment = datetime(year, month, day)
        if m.group(4):
            moment = moment.replace(hour=int(m.group(4)), minute=int(m.group(5)), second=int(m.group(6)))
    except ValueError:
        try:
            moment = datetime(year, month, day)
        except ValueError:
            return {"date_raw": value}
    return {"date": moment.date().isoformat(), "datetime": moment.isoformat()}
