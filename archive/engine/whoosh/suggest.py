"""Did you mean, over a Whoosh index: the word lookups of `archive.engine.suggest` from a reader.

Document frequencies come from the exact and stemmed fields; the words near a word from each
segment's term automaton, so the cost does not grow with the number of documents.
"""

from __future__ import annotations

from whoosh.reading import IndexReader

from archive.engine.suggest import Lookup, suggest_with
from archive.engine.whoosh.analysis import stemmed_words
from archive.query.tree import Node

FIELDS = ("body_exact", "title_exact")


def suggest(reader: IndexReader, tree: Node, query: str) -> str | None:
    """Return the query with likely typos corrected, or None when there is nothing to correct."""
    return suggest_with(Lookup(lambda w: _df(reader, w), lambda w: _stem_df(reader, w),
                               lambda w, d: _near(reader, w, d), lambda w, d: _near(reader, w, d, 0)), tree, query)


def _df(reader: IndexReader, word: str) -> int:
    return sum(reader.doc_frequency(f, word) for f in FIELDS)


def _stem_df(reader: IndexReader, word: str) -> int:
    stem = stemmed_words(word)
    return sum(reader.doc_frequency(f, stem[0]) for f in ("body", "title")) if len(stem) == 1 else 0


def _near(reader: IndexReader, word: str, distance: int, prefix: int = 1) -> set[str]:
    return {t for r, _ in reader.leaf_readers() for f in FIELDS
            for t in r.terms_within(f, word, distance, prefix=prefix)}
