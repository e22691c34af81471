"""Split text into blocks and lines with their offsets, and judge single lines as boilerplate.

A block is a run of non-blank lines. Cleaning removes whole lines, and only from the edges of a
block, so nothing is ever cut out of the middle of a paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Function words: a line of keywords has none; a subheading or sentence nearly always has some.
FUNCTION_WORDS = frozenset(
    """a an the and or but of in on at to for from by with as is are was were be been has have had
    it its this that these those not no after before over under into than then so if when while
    how why what who where which will would can could should may might must his her their our
    your my we they he she you i about up out off down new""".split()
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)]\s*$")


@dataclass
class Line:
    """One line of the original text."""

    text: str  # the line without its trailing whitespace
    start: int  # offset of the line in the original text
    block: int  # index of the block it belongs to
    reason: str | None = None  # why it is boilerplate, or None
    kind: str = ""  # the kind of boilerplate it was judged (archive/clean/kinds.py), once removed

    @property
    def key(self) -> str:
        """Return the line with whitespace normalised, for comparing lines across documents."""
        return " ".join(self.text.split())


def split_lines(text: str) -> list[Line]:
    """Return the non-blank lines of the text, each tagged with its block number."""
    lines: list[Line] = []
    block, offset, blank = 0, 0, True
    for raw in text.split("\n"):
        stripped = raw.rstrip().replace("\u00a0", " ").rstrip()
        if stripped.strip():
            if blank and lines:
                block += 1
            lead = len(raw) - len(raw.lstrip())
            lines.append(Line(stripped.strip(), offset + lead, block))
            blank = False
        else:
            blank = True
        offset += len(raw) + 1
    return _split_unwrapped_blocks(lines)


def _split_unwrapped_blocks(lines: list[Line]) -> list[Line]:
    """Give each line its own block unless it continues the line before it.

    Many scraped files put one paragraph per line with no blank lines between them; there each
    line is a paragraph. A line continues the previous one when the block is hard-wrapped (lines
    of similar width, none much longer than a terminal) or when the previous line stops without
    sentence punctuation and this one starts in lower case.
    """
    blocks: dict[int, list[Line]] = {}
    for line in lines:
        blocks.setdefault(line.block, []).append(line)
    number = -1
    for members in blocks.values():
        wrapped = _is_hard_wrapped(members)
        texts = [m.text for m in members]
        for i, line in enumerate(members):
            if i == 0 or not (wrapped or _continues(texts, i)):
                number += 1
            line.block = number
    return lines


def _continues(texts: list[str], i: int) -> bool:
    """Return True when line i carries on line i-1: the previous line stops mid-sentence and
    this line, or the line after it, starts in lower case (a line wedged inside a paragraph)."""
    if looks_like_sentence(texts[i - 1]):
        return False
    if texts[i][:1].islower():
        return True
    return i + 1 < len(texts) and texts[i + 1][:1].islower() and not looks_like_sentence(texts[i])


def _is_hard_wrapped(members: list[Line]) -> bool:
    if len(members) < 2:
        return False
    widths = [len(m.text) for m in members[:-1]]
    return max(widths) <= 100 and sum(1 for w in widths if w >= 40) >= 0.7 * len(widths)


def is_tag_line(line: str, capitalised: set[str]) -> bool:
    """Return True for an image alt-text keyword list: 'merrow dockers pickets cranes wages'.

    Evidence needed: at least three words, all lower case, no punctuation, no function words,
    and at least one word that the document writes capitalised elsewhere (a proper noun
    lower-cased, as alt-text lists do). A lower-case subheading fails on function words or on
    the proper-noun test; in doubt the line is kept.
    """
    if line != line.lower() or re.search(r"[^\w\s'’-]", line):
        return False
    words = line.split()
    if len(words) < 3 or len(words) > 15:
        return False
    if any(w in FUNCTION_WORDS for w in words):
        return False
    return any(w in capitalised for w in words)


def capitalised_words(text: str) -> set[str]:
    """Return the lower-cased forms of words written capitalised inside sentences (proper nouns)."""
    out = set()
    for m in re.finditer(r"(?<=[a-z,;] )([A-Z][a-z]+)", text):
        out.add(m.group(1).lower())
    return out


def looks_like_sentence(line: str) -> bool:
    """Return True when the line ends like prose."""
    return bool(_SENTENCE_END.search(line))


def words(line: str) -> list[str]:
    """Return the words of a line."""
    return _WORD.findall(line)
