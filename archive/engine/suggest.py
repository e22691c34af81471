"""Did you mean: correct rare or unknown query words from the index's own vocabulary.

Only run when a query finds no or few documents. Each positive word that no document (or
almost none) contains is replaced by the most common indexed word within one edit (two for
longer words), found through each segment's term automaton, so the cost does not grow with the
number of documents.
"""

from __future__ import annotations

from whoosh.reading import IndexReader

from archive.engine.analysis import exact_words, stemmed_words
from archive.query.tree import Node, Term, positive_leaves
from archive.query.words import fold, pieces

FIELDS = ("body_exact", "title_exact")
RARE = 2  # a word in at most this many documents may be a typo
MORE_COMMON = 10  # ... when a close word is in at least this many times as many


def suggest(reader: IndexReader, tree: Node, query: str) -> str | None:
    """Return the query with likely typos corrected, or None when there is nothing to correct."""
    fixes: dict[str, str] = {}
    for leaf in positive_leaves(tree):
        if isinstance(leaf, Term) and (leaf.prefix or leaf.fuzzy):
            continue
        for word in exact_words(leaf.text):
            if word in fixes or not _correctable(word):
                continue
            better = _closest(reader, word)
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


def _closest(reader: IndexReader, word: str) -> str | None:
    """Return the most common indexed word close to a rare word, if it is much more common."""
    # An unquoted word also matches its other forms ("résumé" finds "resumed"): count them too.
    df = max(_df(reader, word), _stem_df(reader, word))
    if df > RARE:
        return None
    # A word that is in the index gets only one-edit corrections; an unknown word up to two.
    for distance in (1, 2) if len(word) >= 5 and df == 0 else (1,):
        found = {t for r, _ in reader.leaf_readers() for f in FIELDS
                 for t in r.terms_within(f, word, distance, prefix=1)}
        # Another form of the same word is no correction: unquoted words match it already.
        found = {t for t in found if stemmed_words(t) != stemmed_words(word)}
        if found:
            best = max(sorted(found), key=lambda t: _df(reader, t))
            return best if _df(reader, best) >= max(1, df * MORE_COMMON) else None
    return None


__all__ = ["suggest"]
