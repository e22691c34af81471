"""Words as the index sees them, without Whoosh: the token pattern and folding.

The engine's analysers and the query side (aliases, suggestions) share these, so a name in the
aliases file and a word in a query are compared exactly as the index compares them.

- Words are runs of letters and digits; an apostrophe inside a word is dropped ("don't" is
  "dont"), except a final possessive `'s`: "Korea’s" and "Korea's" fold to `korea's`, which the
  index also holds as the plain word `korea` at the same position (`plain`), so a phrase finds
  "the prime minister's office" for "prime minister" while `"prime minister's"` finds only the
  possessive. A plural possessive (`Nations'`) ends the word at its `s`. Other punctuation
  separates words ("e-mail" is "e", "mail"; "U.S." is "u", "s").
- A single letter followed by `++` or `#` is one word: `C++`, `C#`, `F#` are programming
  languages, not the letter "c" (which would match "Series C").
- Runs of Han, kana and Hangul become overlapping character bigrams (a lone character stays one
  token), so a Korean or Chinese word is found inside a longer run.
- Folding: case-folded, diacritics removed (é -> e), compatibility forms unified.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_LETTER = rf"(?:(?![{_CJK}])[^\W_])"
TOKEN = re.compile(
    rf"(?P<code>(?<![^\W_])[A-Za-z](?:\+\+|#)(?![^\W\d]|[+#]))"
    rf"|(?P<cjk>[{_CJK}]+)"
    rf"|(?P<word>{_LETTER}+(?:['‘’ʼʻ＇]{_LETTER}+)*)"
)
# The same tokens with the letter written as one character class ("a word character, not _,
# not CJK") instead of a lookahead before every letter: about twice as fast over a long text
# (a test compares the two).
FAST_TOKEN = re.compile(TOKEN.pattern.replace(_LETTER, rf"[^\W_{_CJK}]"))
assert FAST_TOKEN.pattern != TOKEN.pattern, "the token pattern changed: update FAST_TOKEN"
_APOSTROPHES = re.compile(r"['‘’ʼʻ＇]")
_POSSESSIVE = re.compile(r"['‘’ʼʻ＇][sS]$")
POSSESSIVE = "'s"  # how a folded possessive ends


def pieces(value: str) -> Iterator[tuple[str, int, int]]:
    """Yield (token text, start, end) for each token of a text, before folding."""
    for m in TOKEN.finditer(value):
        if not m.group("cjk"):
            yield m.group(0), m.start(), m.end()
            continue
        run, base = m.group(0), m.start()
        if len(run) == 1:
            yield run, base, base + 1
        for i in range(len(run) - 1):
            yield run[i : i + 2], base + i, base + i + 2


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Return the folded form of one word: 'Kórea’s' -> "korea's", "Don't" -> 'dont'."""
    m = _POSSESSIVE.search(word)
    if m is not None and m.start() > 0:
        return fold(word[: m.start()]) + POSSESSIVE
    word = _APOSTROPHES.sub("", word)
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def plain(term: str) -> str | None:
    """Return the plain word of a folded possessive ("korea's" -> 'korea'), or None for any other word."""
    return term[:-2] if term.endswith(POSSESSIVE) and len(term) > 2 else None


def variants(term: str) -> tuple[str, ...]:
    """Return the terms a folded word is indexed as at its position: itself, and its plain word."""
    p = plain(term)
    return (term, p) if p is not None else (term,)


def words(text: str) -> tuple[str, ...]:
    """Return the folded, unstemmed words of a text, in order (as the exact fields index them)."""
    return tuple(fold(t) for t, _, _ in pieces(text))
