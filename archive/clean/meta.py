"""Metadata for plain-text documents: title, date and where the date came from."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
# No digit before the year: told after its first two digits ("19", "20") are matched, so that the
# search tries only where a "1" or a "2" stands, not at every character of the text.
_ISO = re.compile(r"((?:19|20)(?<!\d\d\d)\d\d)[-_./]?(0[1-9]|1[0-2])[-_./]?(0[1-9]|[12]\d|3[01])(?!\d)")
_MDY = re.compile(_MONTH + r"\s+(\d{1,2}),?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_DMY = re.compile(r"\b(\d{1,2})\s+" + _MONTH + r",?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
# The end of every `_MDY` match ("19, 2020"). Searching for it is ~7x cheaper than `_MDY` itself (whose
# case-blind month names are tried at every position), and a text without it has no `_MDY` date.
_MDY_TAIL = re.compile(r"(\d{1,2}),?\s+((?:19|20)\d\d)\b")
# What every `_MDY` and `_DMY` match holds: a year after a space. It is found at a fraction of
# their cost, and a text without it is never searched for month names.
_SPACED_YEAR = re.compile(r"(?:19|20)\d\d\b(?<=\s\d\d\d\d)")
_HEADLINE_MAX_WORDS = 25


def split_title(paragraphs: list[str]) -> tuple[str, int]:
    """Return (title, n) where n is how many leading paragraphs the title consumed (0 or 1).

    The first paragraph is the headline when it is short and does not end like a sentence
    (headlines carry no final full stop); otherwise the title is the first sentence of the text,
    trimmed, and the paragraph stays in the body.
    """
    if not paragraphs:
        return "", 0
    first = paragraphs[0].strip()
    if (len(paragraphs) > 1 and "\n" not in first and len(first.split()) <= _HEADLINE_MAX_WORDS
            and not first.endswith(".")):
        return first, 1
    return trim_title(first_sentence(first)), 0


def first_sentence(text: str) -> str:
    """Return the first sentence of a paragraph."""
    m = re.search(r"(?<=[a-z0-9\)”\"’])[.!?](?=\s+[A-Z“\"‘(])", text)
    return text[: m.end()] if m else text


def trim_title(text: str, limit: int = 120) -> str:
    """Trim a title to a word boundary under `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def date_from_text(text: str) -> str:
    """Return the first full date written in the text (ISO, 'Nov. 19, 2020', '19 November 2020')."""
    found = []
    head = text[:5000]
    named = _SPACED_YEAR.search(head) is not None  # a date with a month's name may be there
    for rx, order in ((_ISO, "ymd"), (_MDY, "mdy"), (_DMY, "dmy")):
        if rx is not _ISO and not named or rx is _MDY and not _MDY_TAIL.search(head):
            continue
        m = rx.search(head)
        if m:
            d = _to_date(m.groups(), order)
            if d:
                found.append((m.start(), d))
    return min(found)[1] if found else ""


def date_from_name(name: str) -> str:
    """Return a date written in a file name (2020-11-20, 20201120), or ""."""
    m = _ISO.search(name)
    return _to_date(m.groups(), "ymd") if m else ""


def date_from_mtime(mtime_ns: int) -> str:
    """Return the file's modification date."""
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC).date().isoformat()


def normalise_date(value: str) -> str:
    """Return an ISO date for a metadata value such as '2020-11-20T08:00:00+09:00', or ""."""
    value = (value or "").strip()
    return date_from_text(value) if value else ""


def _to_date(groups: tuple[str, ...], order: str) -> str:
    try:
        if order == "ymd":
            y, m, d = int(groups[0]), int(groups[1]), int(groups[2])
        elif order == "mdy":
            m, d, y = _MONTHS[groups[0].lower().rstrip(".")], int(groups[1]), int(groups[2])
        else:
            d, m, y = int(groups[0]), _MONTHS[groups[1].lower().rstrip(".")], int(groups[2])
        return date(y, m, d).isoformat()
    except (KeyError, ValueError):
        return ""


# A publisher names itself in its own boilerplate: "© 2024 Harbour Gazette. All rights reserved.",
# "ⓒ 서울경제리뷰, 무단 전재 …", "Download the TechWire Daily app …", and credits its own photos
# ("… / Image: Harbour Gazette") when it also names itself in the article ("Harbour Gazette has
# learned"): a credit to an agency is not taken, as the article does not name the agency alone.
_COPYRIGHT_NAME = re.compile(
    r"^(?:copyright\s*)?(?:©|ⓒ|\(c\))?\s*(?:copyright\s*)?(?:(?:19|20)\d\d\s*)?"
    r"(?P<name>[^\W\d][^.,|:;©ⓒ]{1,50}?)\s*(?:(?:19|20)\d\d)?\s*(?:[.,|:;]|$)",
    re.IGNORECASE,
)
_APP_NAME = re.compile(r"\b(?i:download the) (?P<name>[A-Z][\w&'’ -]{1,40}?) (?i:app)\b")
_CREDIT_NAME = re.compile(r"(?:^|[/|(]\s*)(?i:image|photo|picture|credit|source)\s*:\s*"
                          r"(?P<name>[A-Z][\w&'’. -]{1,40}?)\s*\)?$")
_NOT_A_NAME = re.compile(r"^(all rights|our|this|copyright|the\s*$)", re.IGNORECASE)


def source_from_boilerplate(lines: list[tuple[str, str]], text: str = "") -> str:
    """Return the publisher named in removed (text, reason) lines.

    In order: the last copyright line, an app promo ("download the X app"), then a photo credit
    whose name the kept text also uses (a publisher crediting its own photo, not an agency's).
    """
    # An app promo names its publisher whatever reason removed it (None: any reason).
    for pattern, kind in ((_COPYRIGHT_NAME, "copyright"), (_APP_NAME, None), (_CREDIT_NAME, "caption")):
        for line, reason in reversed(lines):
            if kind is not None and kind not in reason:
                continue
            m = pattern.search(line.strip())
            name = m.group("name").strip() if m else ""
            if kind == "caption" and name not in text:
                continue
            if name and len(name.split()) <= 5 and not _NOT_A_NAME.match(name + " "):
                return name
    return ""
