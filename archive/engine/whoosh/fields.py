"""Text fields that index without Whoosh's token objects: the same terms, a fraction of the cost.

Whoosh indexes a text field by running its analyser (a chain of generators passing one mutable
`Token` along) and then its format's `word_values`; with four text fields that was most of an
ingest's CPU time. `WordsField.index` gives the same (term, frequency, weight, encoded value)
items from plain lists: the words of a text are found and folded once and shared by the stemmed
and the exact field of the same text (the writer indexes `body` and then `body_exact` with the
same string), stems come from a cache, and positions are grouped in one pass. The analyser stays
the field's analyser for everything else (queries, highlighting), and a test compares the two
paths term by term.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StripFilter
from whoosh.fields import KEYWORD, TEXT
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from archive.engine.whoosh.analysis import stem_of
from archive.query.words import _CJK, FAST_TOKEN, fold, pieces, variants

_HAS_CJK = re.compile(f"[{_CJK}]")
# FAST_TOKEN without its named groups: `findall` gives the tokens themselves.
_PLAIN_TOKEN = re.compile(re.sub(r"\(\?P<\w+>", "(?:", FAST_TOKEN.pattern))
# The last text and its folded words, as one tuple (threads swap it whole): the exact field of
# a text reuses the words its stemmed field just found.
_last: tuple[str, list[str]] = ("", [])


def folded_words(text: str) -> list[str]:
    """Return the folded words of a text in order, as the exact analyser gives them."""
    global _last
    last = _last
    if last[0] is text or last[0] == text:
        return last[1]
    if text.isascii():
        # Tokens of the lower-cased text are the lower-cased tokens (no ASCII letter changes length
        # or class), and lower-casing is all folding does to an ASCII word without an apostrophe.
        words = _PLAIN_TOKEN.findall(text.lower())
        if "'" in text:
            words = [fold(w) if "'" in w else w for w in words]
    elif _HAS_CJK.search(text):  # CJK runs become bigrams: the general tokenizer
        words = [fold(t) for t, _, _ in pieces(text)]
    else:  # an ASCII word without an apostrophe folds to its lower case; the rest are folded in full
        words = [w.lower() if w.isascii() and "'" not in w else fold(w) for w in _PLAIN_TOKEN.findall(text)]
    _last = (text, words)
    return words


class WordsField(TEXT):
    """A TEXT field whose `index` skips the analyser chain (folded words, stemmed or not)."""

    def __init__(self, stemmed: bool, **kwargs: object):
        super().__init__(**kwargs)
        self.stemmed = stemmed

    def terms(self, value: str) -> list:
        """Return the field's terms of a text, in order: a tuple where a possessive also stands as its plain word."""
        words = folded_words(value)
        if self.stemmed:
            return list(map(stem_of, words))
        return [variants(w) if "'" in w else w for w in words]

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        """Yield (term bytes, frequency, weight, encoded value) for each distinct term of a text."""
        got = self.postings(value) if not kwargs else None
        if got is None:
            yield from super().index(value, **kwargs)  # lists of words, or a format not handled here
        else:
            yield from zip(*got)

    def postings(self, value: object) -> Postings | None:
        """Return a text's distinct terms (bytes) with their frequencies, weights and encoded values, as lists.

        None when the value or the field's format is not one this path handles (`index` then
        takes Whoosh's path).
        """
        fmt = self.format
        if not isinstance(value, str) or type(fmt) not in (Frequency, Positions):
            return None
        words = self.terms(value)
        boost = float(fmt.field_boost)
        if type(fmt) is Positions:
            return _positions(words, fmt, boost)
        if self.stemmed:  # stems are plain strings: counted at C speed, in order of first occurrence
            counts: dict[str, int] = Counter(words)
        else:
            counts = {}
            for w in words:
                for term in w if isinstance(w, tuple) else (w,):  # a possessive and its plain word
                    counts[term] = counts.get(term, 0) + 1
        return _counted(counts, boost)


# A text's postings in one field: terms, frequencies, weights, encoded values.
Postings = tuple[list[bytes], list[int], list[float], list[bytes]]
_COMMA_PIECE = re.compile("[^,]+")


def keyword_postings(field: Any, value: object) -> Postings | None:
    """Return the postings of a comma-separated, lower-cased KEYWORD field's value (topics, places,
    senders), or None for any other field or value.

    Whoosh's analyser for it finds each run of characters between commas, strips it and lowers
    its case, one token object at a time; the terms are counted in order of first occurrence,
    each weighing its count times the field's boost (`Frequency`).
    """
    if not isinstance(value, str) or type(field) is not KEYWORD or type(field.format) is not Frequency:
        return None
    analyzer = field.analyzer
    if type(analyzer) is not CompositeAnalyzer or len(analyzer.items) != 3:
        return None
    tokenizer, strip, lower = analyzer.items
    if not (type(tokenizer) is RegexTokenizer and tokenizer.expression.pattern == _COMMA_PIECE.pattern
            and not tokenizer.gaps and type(strip) is StripFilter and type(lower) is LowercaseFilter):
        return None
    counts: dict[str, int] = {}
    for piece in _COMMA_PIECE.findall(value):
        term = piece.strip().lower()
        counts[term] = counts.get(term, 0) + 1
    return _counted(counts, float(field.format.field_boost))


def _counted(counts: dict[str, int], boost: float) -> Postings:
    """Return the postings of terms counted in a text, in `Frequency`'s format: each weighs its count
    times the field's boost, and its value is its count."""
    freqs = list(counts.values())
    return ([w.encode("utf-8") for w in counts], freqs, [n * boost for n in freqs],
            [_COUNTS[n] if n < len(_COUNTS) else pack_uint(n) for n in freqs])


# Encoded values shared by every posting that has them: most postings are a word once in a text.
# Besides the encoding, this saves the pool a bytes object per posting.
_COUNTS = [pack_uint(n) for n in range(256)]
ONE_POSITION_CACHE = 1 << 16
_ONE_POSITION: dict[int, bytes] = {}


def _positions(words: list, fmt: Positions, boost: float) -> Postings:
    poses: dict[str, list[int]] = defaultdict(list)
    for i, w in enumerate(words):
        if type(w) is str:
            poses[w].append(i)
        elif w is not None:  # a possessive and its plain word share one position (None: a pair not indexed)
            for term in w:
                poses[term].append(i)
    encode, cache = fmt.encode, _ONE_POSITION
    values = []
    for p in poses.values():
        if len(p) == 1 and p[0] < ONE_POSITION_CACHE:
            value = cache.get(p[0])
            if value is None:
                value = cache[p[0]] = encode(p)
            values.append(value)
        else:
            values.append(encode(p))
    freqs = [len(p) for p in poses.values()]
    return [w.encode("utf-8") for w in poses], freqs, [n * boost for n in freqs], values


# Words so frequent that a phrase holding them is slow to check word by word ("the company
# said"): a pair of adjacent words is indexed when one of them is here ("common grams"). A pair
# of two rarer words is not: their own postings are short.
COMMON = frozenset(
    "a about after all also an and any are as at be been but by can could did do for from had has have he her "
    "his i if in into is it its last may more most new no not of on one only or other our over said says she "
    "so some than that the their them there these they this those to up was we were what when which while "
    "who will with would you".split())


class PairsField(WordsField):
    """Each two adjacent exact words of a text, one of them common, as one term ("the company").

    Like Lucene's common grams: a phrase whose every adjacent pair holds a common word is a
    phrase of pairs, whose postings and positions are few (DESIGN.md §12); a pair stands at the
    position of its first word. The set of common words is kept in the field (the schema is
    saved with the index), so a search asks the words the index was built with. Not scored.
    """

    def __init__(self, **kwargs: object):
        super().__init__(False, phrase=True, **kwargs)
        self.scorable = False  # no length column: the field only finds candidates for phrases
        self.common = COMMON

    def terms(self, value: str) -> list[str | None]:
        """Return the indexed pair at each word's position (None where the pair is not indexed)."""
        return pairs(folded_words(value), self.common, both=True)


def pairs(words: list[str], common: frozenset[str] | None = None, both: bool = False) -> list:
    """Return each two adjacent words joined by a space (None when neither word is common).

    With `both` (indexing a text), a possessive also pairs as its plain word: at such a position
    the entry is a tuple of the pairs ("minister's said", "minister said").
    """
    if common is None:
        return [f"{a} {b}" for a, b in zip(words, words[1:])]
    if not both or not any("'" in w for w in words):
        return [f"{a} {b}" if a in common or b in common else None for a, b in zip(words, words[1:])]
    out: list = []
    for a, b in zip(words, words[1:]):
        if "'" not in a and "'" not in b:  # neither is a possessive: each is its only variant
            out.append(f"{a} {b}" if a in common or b in common else None)
            continue
        got = tuple(f"{x} {y}" for x in variants(a) for y in variants(b) if x in common or y in common)
        out.append(None if not got else got[0] if len(got) == 1 else got)
    return out
