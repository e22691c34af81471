"""Find where a compiled query matches inside a text, as character spans with their labels.

The text is analysed exactly as the index analysed it, so a span is marked if and only if the
index would match there: stemmed words by their stem, quoted words and expansions by their
exact form, phrases by exact tokens in order, each within `slop` other words of the previous
one (Whoosh's ordered SpanNear semantics: every choice of positions is considered).
"""

from __future__ import annotations

from archive.engine.analysis import token_spans
from archive.engine.compile import Pattern, Plan

Span = tuple[int, int]
Match = tuple[str, int, int]  # (label, start, end)
Token = tuple[str, int, int]


def find_matches(text: str, plan: Plan) -> list[Match]:
    """Return (label, start, end) for every match of the plan's patterns in the text."""
    if not plan.patterns or not text:
        return []
    out: list[Match] = []
    stems = [p for p in plan.patterns if p.kind == "stem"]
    exact = [p for p in plan.patterns if p.kind != "stem"]
    if stems:
        out += _word_matches(token_spans(text, stemmed=True), stems)
    if exact:
        tokens = token_spans(text)
        out += _word_matches(tokens, [p for p in exact if p.kind == "word"])
        for p in exact:
            if p.kind == "phrase":
                out += [(p.label, s, e) for s, e in phrase_spans(tokens, p.words, p.slop)]
    return out


def find_spans(text: str, plan: Plan) -> list[Span]:
    """Return the spans of every match of the plan in the text."""
    return [(s, e) for _, s, e in find_matches(text, plan)]


def _word_matches(tokens: list[Token], patterns: list[Pattern]) -> list[Match]:
    labels: dict[str, list[str]] = {}
    for p in patterns:
        labels.setdefault(p.words[0], []).append(p.label)
    return [(label, s, e) for term, s, e in tokens for label in labels.get(term, ())]


def phrase_spans(tokens: list[Token], words: tuple[str, ...], slop: int) -> list[Span]:
    """Return the spans of a phrase: each word follows the previous one within slop+1 positions.

    Each match runs from an occurrence of the first word to the earliest position where the
    whole phrase is complete.
    """
    terms = [t[0] for t in tokens]
    where: dict[str, list[int]] = {}
    for i, term in enumerate(terms):
        if term in words:
            where.setdefault(term, []).append(i)
    if any(w not in where for w in words):
        return []
    out = []
    for start in where[words[0]]:
        reach = [start]
        for w in words[1:]:
            # Positions of w reachable from any position of the previous word (not greedy: a
            # later occurrence of a middle word can be the one that completes the phrase).
            reach = [j for j in where[w] if any(1 <= j - p <= slop + 1 for p in reach)]
            if not reach:
                break
        if reach:
            out.append((tokens[start][1], tokens[min(reach)][2]))
    return out
