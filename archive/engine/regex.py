"""Regular-expression terms (`/colou?r/`): the indexed words a pattern matches, and patterns refused.

A pattern matches whole words of the index's vocabulary (folded: lower case, accents removed),
like a prefix term: the matching words are searched as written, the 50 most frequent when there
are more (the result then says it is partial). A pattern that does not compile, that matches an
empty word, or that matches any word at all (`/.*/`, `/\\w+/`) is refused with a message saying why.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

MAX_PATTERN = 100  # characters
# Words unrelated to each other: a pattern matching all of them matches (nearly) every word.
_PROBES = ("a", "the", "zq", "9", "kwerty", "2021", "ü")
_LITERAL = re.compile(r"[a-z0-9]*")


class RegexError(ValueError):
    """A pattern that cannot be searched; the message says why."""


@dataclass(frozen=True)
class WordPattern:
    """A compiled pattern and the literal letters every word it matches starts with."""

    regex: re.Pattern
    prefix: str

    def among(self, words: list[str]) -> list[str]:
        """Return the sorted words the pattern matches in full."""
        lo = bisect.bisect_left(words, self.prefix)
        hi = bisect.bisect_left(words, self.prefix + "\U0010ffff") if self.prefix else len(words)
        full = self.regex.fullmatch
        return [w for w in words[lo:hi] if full(w)]


def regex_words(text: str) -> WordPattern:
    """Compile a pattern written between slashes; raise `RegexError` for one that cannot be searched."""
    if len(text) > MAX_PATTERN:
        raise RegexError(f"a regular expression may have at most {MAX_PATTERN} characters")
    try:
        rx = re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise RegexError(f"it is not a valid regular expression ({exc.msg} at character {(exc.pos or 0) + 1})") from exc
    if rx.fullmatch(""):
        raise RegexError("it matches an empty word; make it match at least one letter (e.g. /colou?r/)")
    if all(rx.fullmatch(p) for p in _PROBES):
        raise RegexError("it matches any word, which is too broad; add some letters (e.g. /kim.*il/)")
    return WordPattern(rx, _literal_prefix(text))


def _literal_prefix(text: str) -> str:
    """Return the plain letters every match must start with ("" when unsure): `colou?r` -> 'colo'."""
    if "|" in text or text[:1] in "(^":
        return ""
    start = _LITERAL.match(text.lower())  # always matches: the pattern allows no letters
    lit = start.group() if start else ""
    rest = text[len(lit):]
    if rest[:1] in ("?", "*", "{") and lit:
        lit = lit[:-1]  # the last letter is optional
    return lit
