"""Find where a compiled query matches inside a text, as character spans.

The text is analysed exactly as the index analysed it, so a span is marked if and only if the
index would match there: stemmed words by their stem, quoted words and expansions by their
exact form, phrases by consecutive exact tokens (or within `slop` words, in order).
"""

from __future__ import annotations

from archive.engine.analysis import token_spans
from archive.engine.compile import Plan

Span = tuple[int, int]


def find_spans(text: str, plan: Plan) -> list[Span]:
    """Return the spans of every match of the plan in the text."""
    spans: list[Span] = []
    if plan.stems:
        spans += [(s, e) for term, s, e in token_spans(text, stemmed=True) if term in plan.stems]
    if plan.words or plan.phrases:
        tokens = token_spans(text)
        if plan.words:
            spans += [(s, e) for term, s, e in tokens if term in plan.words]
        for words, slop in plan.phrases:
            spans += _phrase_spans(tokens, words, slop)
    return spans


def _phrase_spans(tokens: list[tuple[str, int, int]], words: tuple[str, ...], slop: int) -> list[Span]:
    """Return the spans of a phrase: each word follows the previous within slop+1 positions."""
    out = []
    terms = [t[0] for t in tokens]
    n = len(terms)
    for i in range(n):
        if terms[i] != words[0]:
            continue
        pos, ok = i, True
        for w in words[1:]:
            nxt = next((j for j in range(pos + 1, min(n, pos + slop + 2)) if terms[j] == w), None)
            if nxt is None:
                ok = False
                break
            pos = nxt
        if ok:
            out.append((tokens[i][1], tokens[pos][2]))
    return out
