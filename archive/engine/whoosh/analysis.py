"""Analysers: one tokenizer, folding inside the analyser, a stemmed and an exact variant.

Tokens and folding come from `archive.query.words` (shared with the query side): words are runs
of letters and digits, apostrophes inside a word are dropped, `C++`/`C#`/`F#` are words of their
own, CJK and Hangul runs become character bigrams, and everything is case- and accent-folded.
- `STEMMED` adds the Porter stemmer for unquoted words (a possessive is stemmed as its plain
  word); `EXACT` stops there, for phrases, and indexes a possessive (`minister's`) also as its
  plain word at the same position. Neither removes stop words, so "state of the art" is a
  phrase of four words.
Offsets point into the original text, so highlights can be placed on what the user reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import STOP_WORDS, Analyzer, Filter, StemFilter, Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem

from archive.query.words import fold, pieces, plain

__all__ = ["EXACT", "STEMMED", "STOP_WORDS", "exact_words", "fold", "readable", "stemmed_words", "token_spans"]


class WordTokenizer(Tokenizer):
    """Split text into words, with CJK and Hangul runs as character bigrams."""

    def __call__(
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
        for text, start, end in pieces(value) if tokenize else [(value, 0, len(value))]:
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


class FoldFilter(Filter):
    """Case-fold, strip diacritics and apostrophes (inside the analyser, not in the stored text)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = fold(t.text)
            yield t


class PossessiveFilter(Filter):
    """Follow a possessive (`minister's`) with its plain word at the same position (`minister`)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            yield t
            p = plain(t.text)
            if p is not None:
                t.text = p
                yield t


class PlainFilter(Filter):
    """Replace a possessive by its plain word (before stemming: `minister's` stems as `minister`)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            p = plain(t.text)
            if p is not None:
                t.text = p
            yield t


def exact_analyzer() -> Analyzer:
    """Return the analyser for phrase fields: words, folded, not stemmed; possessives also plain."""
    return WordTokenizer() | FoldFilter() | PossessiveFilter()


def stemmed_analyzer() -> Analyzer:
    """Return the analyser for word fields: words, folded, stemmed (English Porter)."""
    return WordTokenizer() | FoldFilter() | PlainFilter() | StemFilter(cachesize=100_000)


EXACT = exact_analyzer()
STEMMED = stemmed_analyzer()


def exact_words(text: str) -> list[str]:
    """Return the exact words of a text, one per position, as a query reads them (possessives kept)."""
    return [fold(t) for t, _, _ in pieces(text)]


def stemmed_words(text: str) -> list[str]:
    """Return the stemmed-field terms of a text, in order."""
    return [t.text for t in STEMMED(text)]


def token_spans(text: str, stemmed: bool = False) -> list[tuple[str, int, int]]:
    """Return (term, start, end) for every token of a text, with offsets into it.

    The same steps as the analysers (tokens, fold, stem) without Whoosh's token objects: this
    runs over every shown hit's whole text, so it must be cheap (a test keeps the two equal).
    """
    if stemmed:
        return [(stem_of(fold(t)), s, e) for t, s, e in pieces(text)]
    return [(fold(t), s, e) for t, s, e in pieces(text)]


@lru_cache(maxsize=100_000)
def stem_of(word: str) -> str:
    """Return the stemmed term of a folded word: the stem of its plain word (a possessive's without "'s").

    One cached call a word: indexing calls it for every word of every text.
    """
    return porter_stem(plain(word) or word)


def readable(text: str, stems: list[str]) -> list[str]:
    """Return each stem as the word the text uses most often for it ("delai" -> "delays")."""
    forms: dict[str, dict[str, int]] = {stem: {} for stem in stems}
    for stem, start, end in token_spans(text, stemmed=True):
        if stem in forms:
            word = text[start:end].lower()
            forms[stem][word] = forms[stem].get(word, 0) + 1
    return [max(forms[st].items(), key=lambda kv: (kv[1], -len(kv[0])))[0] if forms[st] else st for st in stems]
