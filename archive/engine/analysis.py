"""Analysers: one tokenizer, folding inside the analyser, a stemmed and an exact variant.

- Words are runs of letters and digits; an apostrophe inside a word is dropped, so "Korea’s",
  "Korea's" and "Koreas" index alike; other punctuation separates words ("e-mail" is "e", "mail";
  "U.S." is "u", "s"), and the query side splits the same way, so they match as phrases.
- Runs of Han, kana and Hangul become overlapping character bigrams (a lone character stays
  one token), so a Korean or Chinese word is found inside a longer run.
- Folding: case-folded, diacritics removed (é -> e), compatibility forms unified.
- `STEMMED` adds the Porter stemmer for unquoted words; `EXACT` stops there, for phrases.
  Neither removes stop words, so "state of the art" is a phrase of four words.
Offsets point into the original text, so highlights can be placed on what the user reads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, StemFilter, Token, Tokenizer

_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+(?:['’ʼ](?:(?![{_CJK}])[^\W_])+)*)"
)
_APOSTROPHES = re.compile(r"['’ʼ]")


class WordTokenizer(Tokenizer):
    """Split text into words, with CJK and Hangul runs as character bigrams."""

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for text, start, end in _pieces(value) if tokenize else [(value, 0, len(value))]:
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            pos += 1
            yield t


def _pieces(value: str) -> Iterator[tuple[str, int, int]]:
    for m in _TOKEN.finditer(value):
        if m.group("word"):
            yield m.group(0), m.start(), m.end()
            continue
        run, base = m.group(0), m.start()
        if len(run) == 1:
            yield run, base, base + 1
        for i in range(len(run) - 1):
            yield run[i : i + 2], base + i, base + i + 2


class FoldFilter(Filter):
    """Case-fold, strip diacritics and apostrophes (inside the analyser, not in the stored text)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        for t in tokens:
            t.text = fold(t.text)
            yield t


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Return the folded form of one word: 'Kórea’s' -> 'koreas'."""
    word = _APOSTROPHES.sub("", word)
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def exact_analyzer():  # type: ignore[no-untyped-def]
    """Return the analyser for phrase fields: words, folded, not stemmed."""
    return WordTokenizer() | FoldFilter()


def stemmed_analyzer():  # type: ignore[no-untyped-def]
    """Return the analyser for word fields: words, folded, stemmed (English Porter)."""
    return WordTokenizer() | FoldFilter() | StemFilter(cachesize=100_000)


EXACT = exact_analyzer()
STEMMED = stemmed_analyzer()


def exact_words(text: str) -> list[str]:
    """Return the exact-field terms of a text, in order."""
    return [t.text for t in EXACT(text)]


def stemmed_words(text: str) -> list[str]:
    """Return the stemmed-field terms of a text, in order."""
    return [t.text for t in STEMMED(text)]


def token_spans(text: str, stemmed: bool = False) -> list[tuple[str, int, int]]:
    """Return (term, start, end) for every token of a text, with offsets into it."""
    analyzer = STEMMED if stemmed else EXACT
    return [(t.text, t.startchar, t.endchar) for t in analyzer(text, chars=True)]
