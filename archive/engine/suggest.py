"""Did you mean: correct rare or unknown query words from the index's own vocabulary.

Only run when a query finds no or few documents. Each positive word that no document (or
almost none) contains is replaced by the most common indexed word within one edit (two for
longer words), found through each segment's term automaton, so the cost does not grow with the
number of documents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.engine.analysis import exact_words, stemmed_words
from archive.query.tree import Node, Term, positive_leaves
from archive.query.words import fold, pieces

if TYPE_CHECKING:  # Whoosh's reader is only named here; the Sphinx engine uses `suggest_with`
    from whoosh.reading import IndexReader

FIELDS = ("body_exact", "title_exact")
RARE = 2  # a word in at most this many documents may be a typo
MORE_COMMON = 10  # ... when a close word is in at least this many times as many


@dataclass
class Lookup:
    """What a suggestion needs from an engine: document frequencies and the words near a word."""

    df: Callable[[str], int]  # documents with this exact word
    stem_df: Callable[[str], int]  # documents with any form of this word
    near: Callable[[str, int], set[str]]  # indexed words within this edit distance, first letter kept


def suggest(reader: IndexReader, tree: Node, query: str) -> str | None:
    """Return the query with likely typos corrected, or None when there is nothing to correct."""
    return suggest_with(Lookup(lambda w: _df(reader, w), lambda w: _stem_df(reader, w),
                               lambda w, d: _near(reader, w, d)), tree, query)


def suggest_with(lookup: Lookup, tree: Node, query: str) -> str | None:
    """Return the query with likely typos corrected, using any engine's word lookups."""
    fixes: dict[str, str] = {}
    for leaf in positive_leaves(tree):
        if isinstance(leaf, Term) and (leaf.prefix or leaf.fuzzy):
            continue
        for word in exact_words(leaf.text):
            if word in fixes or not _correctable(word):
                continue
            better = _closest(lookup, word)
            if better:
                fixes[word] = better
    if not fixes:
        return None
    out, pos = [], 0
    for text, start, end in pieces(query):
        fixed = fixes.get(fold(text))
        if fixed:
            out += [query[pos:start], fixed]
            pos = end
    out.append(query[pos:])
    return "".join(out)


def _correctable(word: str) -> bool:
    return 3 <= len(word) <= 30 and word.isalpha() and word.isascii()


def _df(reader: IndexReader, word: str) -> int:
    return sum(reader.doc_frequency(f, word) for f in FIELDS)


def _stem_df(reader: IndexReader, word: str) -> int:
    stem = stemmed_words(word)
    return sum(reader.doc_frequency(f, stem[0]) for f in ("body", "title")) if len(stem) == 1 else 0


def _near(reader: IndexReader, word: str, distance: int) -> set[str]:
    return {t for r, _ in reader.leaf_readers() for f in FIELDS for t in r.terms_within(f, word, distance, prefix=1)}


def _closest(lookup: Lookup, word: str) -> str | None:
    """Return the most common indexed word close to a rare word, if it is much more common."""
    # An unquoted word also matches its other forms ("résumé" finds "resumed"): count them too.
    df = max(lookup.df(word), lookup.stem_df(word))
    if df > RARE:
        return None
    # A word that is in the index gets only one-edit corrections; an unknown word up to two.
    for distance in (1, 2) if len(word) >= 5 and df == 0 else (1,):
        found = lookup.near(word, distance)
        # Another form of the same word is no correction: unquoted words match it already.
        found = {t for t in found if stemmed_words(t) != stemmed_words(word)}
        if found:
            best = max(sorted(found), key=lookup.df)
            return best if lookup.df(best) >= max(1, df * MORE_COMMON) else None
    return None


__all__ = ["Lookup", "suggest", "suggest_with"]
