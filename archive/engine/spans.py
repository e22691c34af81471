"""Find where a compiled query matches inside a text, as character spans with their labels.

The text is analysed exactly as the index analysed it, so a span is marked if and only if the
index would match there: stemmed words by their stem, quoted words and expansions by their
exact form, phrases by exact tokens in order, each within `slop` other words of the previous
one (Whoosh's ordered SpanNear semantics: every choice of positions is considered).
"""

from __future__ import annotations

import re
from functools import lru_cache

from archive.engine.analysis import fold, porter_stem
from archive.engine.compile import Pattern, Plan
from archive.query.words import _CJK, TOKEN

# The token pattern of `archive.query.words`, with its letter written as one character class
# ("a word character, not _, not CJK") instead of a lookahead before every letter: the same
# tokens (a test compares them), found about twice as fast over a long text.
FAST_TOKEN = re.compile(TOKEN.pattern.replace(rf"(?:(?![{_CJK}])[^\W_])", rf"[^\W_{_CJK}]"))
assert FAST_TOKEN.pattern != TOKEN.pattern, "the token pattern changed: update FAST_TOKEN"

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
    stemmed, tokens = _tokens(text, bool(stems))
    if stems:
        out += _word_matches(stemmed, stems)
    if exact:
        out += _word_matches(tokens, [p for p in exact if p.kind == "word"])
        for p in exact:
            if p.kind == "phrase":
                out += [(p.label, s, e) for s, e in phrase_spans(tokens, p.words, p.slop)]
    return out


def find_spans(text: str, plan: Plan) -> list[Span]:
    """Return the spans of every match of the plan in the text."""
    return [(s, e) for _, s, e in find_matches(text, plan)]


def _tokens(text: str, stem: bool) -> tuple[list[Token], list[Token]]:
    """Return the text's (stemmed, exact) tokens with offsets, in one pass of the token pattern.

    The same tokens as `analysis.token_spans` (a test keeps them equal), without a generator
    and with one cache lookup a token: this runs over the whole text of every shown hit.
    """
    stemmed: list[Token] = []
    exact: list[Token] = []
    for m in FAST_TOKEN.finditer(text):
        if m.lastgroup == "cjk":
            run, base = m.group(), m.start()
            pieces = [(run, base, base + 1)] if len(run) == 1 else []
            pieces += [(run[i : i + 2], base + i, base + i + 2) for i in range(len(run) - 1)]
        else:
            pieces = [(m.group(), *m.span())]
        for raw, start, end in pieces:
            folded, stemmed_form = _forms(raw) if stem else (fold(raw), "")
            exact.append((folded, start, end))
            if stem:
                stemmed.append((stemmed_form, start, end))
    return stemmed, exact


@lru_cache(maxsize=200_000)
def _forms(raw: str) -> tuple[str, str]:
    folded = fold(raw)
    return folded, porter_stem(folded)


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
