"""Did you mean: correct rare or unknown query words from the index's own vocabulary.

Only run when a query finds no or few documents. Each positive word that no document (or
almost none) contains is replaced by the most common indexed word within one edit (two for
longer words), found through each segment's term automaton, so the cost does not grow with the
number of documents (each engine gives its own word lookups: `whoosh/suggest.py`, the Sphinx
engine's vocabulary). Words in any alphabet count (`Wałęsaa`, `Ærrø`; accents are folded as the
index folds them, so `Zürihc` becomes `zurich`). Korean, Chinese and Japanese runs are indexed
as character pairs (bigrams), so a run is corrected one character at a time: a pair no document
holds is replaced by an indexed pair one edit away (`헤산` -> `혜산`, `김정운` -> `김정은`),
when every pair of the corrected run is indexed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from archive.engine.whoosh.analysis import exact_words, stemmed_words
from archive.query.tree import Node, Term, positive_leaves
from archive.query.words import fold, pieces

RARE = 2  # a word in at most this many documents may be a typo
MORE_COMMON = 10  # ... when a close word is in at least this many times as many


@dataclass
class Lookup:
    """What a suggestion needs from an engine: document frequencies and the words near a word."""

    df: Callable[[str], int]  # documents with this exact word
    stem_df: Callable[[str], int]  # documents with any form of this word
    near: Callable[[str, int], set[str]]  # indexed words within this edit distance, first letter kept
    near_any: Callable[[str, int], set[str]] | None = None  # the same, any letter may change (CJK pairs)


def suggest_with(lookup: Lookup, tree: Node, query: str) -> str | None:
    """Return the query with likely typos corrected, using any engine's word lookups."""
    fixes: dict[str, str] = {}
    runs: dict[str, str] = {}  # CJK runs as written -> corrected
    for leaf in positive_leaves(tree):
        if isinstance(leaf, Term) and (leaf.prefix or leaf.fuzzy or leaf.regex):
            continue  # a pattern is not a misspelt word
        for run in _CJK_RUN.findall(leaf.text):
            better = _closest_run(lookup, run) if run not in runs else None
            if better:
                runs[run] = better
        for word in exact_words(_CJK_RUN.sub(" ", leaf.text)):
            if word in fixes or not _correctable(word):
                continue
            better = _closest(lookup, word)
            if better:
                fixes[word] = better
    if not fixes and not runs:
        return None
    out, pos = [], 0
    patterns = [m.span() for m in _REGEX.finditer(query)]
    for text, start, end in pieces(query):
        fixed = fixes.get(fold(text))
        if fixed and start >= pos and not any(a <= start < b for a, b in patterns):
            out += [query[pos:start], fixed]
            pos = end
    out.append(query[pos:])
    fixed_query = "".join(out)
    for run, better in runs.items():
        fixed_query = fixed_query.replace(run, better)
    return fixed_query if fixed_query != query else None


# A /regex/ in the query as written (valid or not): its inside is never rewritten.
_REGEX = re.compile(r"(?<![^\s(])/(?:[^/\\\s]|\\.)+/")
# Runs of Hangul, kana and CJK ideographs: the index holds them as overlapping character pairs.
_CJK_RUN = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]{2,}")


def _correctable(word: str) -> bool:
    """True for a word of letters in any alphabet, 3 to 30 of them (numbers and codes are not typos)."""
    return 3 <= len(word) <= 30 and word.isalpha()


def _closest_run(lookup: Lookup, run: str) -> str | None:
    """Return a CJK run with its unindexed character pairs replaced by indexed ones one edit away, or None.

    Each pair that no document holds is tried with the indexed pairs within one edit (either
    character may change); a candidate is kept when every pair of the new run is indexed, and
    the one whose rarest pair is most common wins.
    """
    if lookup.near_any is None or len(run) > 30:
        return None
    pairs = [run[i:i + 2] for i in range(len(run) - 1)]
    if all(lookup.df(p) for p in pairs):
        return None
    best, best_df = None, 0
    for i, pair in enumerate(pairs):
        if lookup.df(pair):
            continue
        for near in sorted(lookup.near_any(pair, 1)):
            if len(near) != 2 or not _CJK_RUN.fullmatch(near):
                continue
            candidate = run[:i] + near + run[i + 2:]
            rarest = min(lookup.df(candidate[j:j + 2]) for j in range(len(candidate) - 1))
            if rarest > best_df:
                best, best_df = candidate, rarest
    return best


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


__all__ = ["Lookup", "suggest_with"]
