"""Find where a compiled query matches inside a text, as character spans with their labels.

The text is analysed exactly as the index analysed it, so a span is marked if and only if the
index would match there: stemmed words by their stem, quoted words and expansions by their
exact form, phrases by exact tokens in order, each within `slop` other words of the previous
one (Whoosh's ordered SpanNear semantics: every choice of positions is considered).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Protocol

from archive.documents import Document, Hit
from archive.engine.plan import Pattern, Plan
from archive.engine.whoosh.analysis import fold, porter_stem
from archive.highlight import MAX_MARKS, MAX_SNIPPET_SPANS, merge_spans, snippets
from archive.query.words import _CJK, FAST_TOKEN, POSSESSIVE, plain
from archive.spans import Marks

_HAS_CJK = re.compile(f"[{_CJK}]")
# The word alternative of the tokenizer alone: in a text without CJK and without "+" or "#" (which
# a code token such as "C++" needs), the other alternatives never match, so its tokens are these.
_WORD_TOKEN = re.compile(FAST_TOKEN.pattern[FAST_TOKEN.pattern.index("(?P<word>") + len("(?P<word>"):-1])
_APOSTROPHES = "'‘’ʼʻ＇"  # those that join two runs of letters into one token
assert f"[{_APOSTROPHES}]" in _WORD_TOKEN.pattern, "the token pattern changed: update _APOSTROPHES"
# The rest of a token from any place inside it: letters and digits, and apostrophes between them.
_TOKEN_REST = re.compile(f"(?:[^\\W_]|[{_APOSTROPHES}](?=[^\\W_]))*")

SCAN_CHARS = 100_000  # a long text is matched in pieces of about this size when the matches are capped
Span = tuple[int, int]
Match = tuple[str, int, int]  # (label, start, end)
Token = tuple[str, int, int]


class Planned(Protocol):
    """A compiled query of either engine: what to mark in titles and texts."""

    body_plan: Plan
    title_plan: Plan


def find_matches(text: str, plan: Plan, limit: int | None = None) -> list[Match]:
    """Return (label, start, end) for every match of the plan's patterns in the text.

    With `limit`, a long text is read piece by piece (cut at a space) until `limit` matches are
    found: the work is bounded by the matches wanted, not by the length of the text. A phrase cut
    in two by a piece's edge is then not found.
    """
    if not plan.patterns or not text:
        return []
    if limit is None or len(text) <= SCAN_CHARS:
        return _matches(text, plan)
    out: list[Match] = []
    pos = 0
    while pos < len(text) and len(out) < limit:
        cut = text.rfind(" ", pos + SCAN_CHARS // 2, pos + SCAN_CHARS) if pos + SCAN_CHARS < len(text) else -1
        cut = cut if cut > pos else min(len(text), pos + SCAN_CHARS)
        out += [(label, s + pos, e + pos) for label, s, e in _matches(text[pos:cut], plan)]
        pos = cut
    return out


def _matches(text: str, plan: Plan) -> list[Match]:
    stems = [p for p in plan.patterns if p.kind == "stem"]
    words = [p for p in plan.patterns if p.kind == "word"]
    phrases = [p for p in plan.patterns if p.kind == "phrase"]
    nears = [p for p in plan.patterns if p.kind == "near"]
    if not phrases and not nears and _plain_words(text):
        return _word_matches(text, stems, words)
    raw = _raw_tokens(text)
    out = _token_matches(raw, stems, words)
    if phrases or nears:
        tokens = [(fold(r), s, e) for r, s, e in raw]
        for p in phrases:
            out += [(p.label, s, e) for s, e in phrase_spans(tokens, p.words, p.slop)]
        for p in nears:
            out += [(p.label, s, e) for s, e in near_spans(tokens, p)]
    return out


def _token_matches(raw: list[Token], stems: list[Pattern], words: list[Pattern]) -> list[Match]:
    """Return the matches of stem patterns, then of word patterns, among a text's tokens, in order."""
    out: list[Match] = []
    # Comprehensions over the raw tokens, with one cache lookup each: this runs over the whole
    # text of every shown (or exported) hit.
    if stems:
        labels = _labels(stems)
        out += [(label, s, e) for r, s, e in raw for label in labels.get(_forms(r)[1], ())]
    if words:
        labels = _labels(words)
        out += [(label, s, e) for r, s, e in raw for term in _variants(r) for label in labels.get(term, ())]
    return out


def _plain_words(text: str) -> bool:
    """Return True when a text's tokens are those of `_WORD_TOKEN` alone (no CJK, no code token)."""
    return "+" not in text and "#" not in text and not _HAS_CJK.search(text)


def _word_matches(text: str, stems: list[Pattern], words: list[Pattern]) -> list[Match]:
    """Return what `_token_matches` returns for a text of plain words, without placing every token.

    The words of the text are listed at C speed and each distinct one is looked up once; only the
    words that match are then found in the text, where they stand as whole tokens. A hit's text
    is scanned this way for every result shown, and most of its words match nothing.
    """
    distinct = set(_WORD_TOKEN.findall(text))
    out: list[Match] = []
    for patterns, labels_of in ((stems, _stem_labels), (words, _word_labels)):
        if not patterns:
            continue
        labels = _labels(patterns)
        found: list[tuple[int, int, str, int]] = []  # (start, label order, label, end)
        for raw in distinct:
            got = labels_of(raw, labels)
            if got:
                for start in _token_starts(text, raw):
                    found += [(start, k, label, start + len(raw)) for k, label in enumerate(got)]
        found.sort()
        out += [(label, s, e) for s, _, label, e in found]
    return out


def _stem_labels(raw: str, labels: dict[str, list[str]]) -> list[str]:
    return labels.get(_forms(raw)[1], [])


def _word_labels(raw: str, labels: dict[str, list[str]]) -> list[str]:
    return [label for term in _variants(raw) for label in labels.get(term, ())]


def _token_starts(text: str, word: str) -> list[int]:
    r"""Return where a word (a token of the text) stands in a text of plain words as a whole token.

    A token starts at a letter or digit that neither follows one nor follows an apostrophe that
    follows one, and ends likewise: `[^\W_]` is `str.isalnum` (the `re` documentation's `\w`
    without the underscore).
    """
    out, n = [], len(word)
    i = text.find(word)
    while i >= 0:
        # Where the token holding this occurrence ends: past the word itself when it goes on, and
        # no other token starts before that end, so the search goes on from there either way.
        rest = _TOKEN_REST.match(text, i)
        end = rest.end() if rest is not None else i + n  # it matches at least the word itself
        if end == i + n and not _follows_a_token(text, i):
            out.append(i)
        i = text.find(word, end)
    return out


def _follows_a_token(text: str, i: int) -> bool:
    """Return True when position i continues a token: after a letter or digit, or an apostrophe after one."""
    if i == 0:
        return False
    c = text[i - 1]
    return c.isalnum() or (c in _APOSTROPHES and i > 1 and text[i - 2].isalnum())


def near_spans(tokens: list[Token], p: Pattern) -> list[Span]:
    """Return the spans of both sides of every match of a proximity (w/N, pre/N), each side marked.

    Sides are occurrences (first and last token) of any of their alternatives; a pair matches when
    the gap from the end of one to the start of the other is 1..N tokens (left first for pre/N).
    """
    left, right = _occurrences(tokens, p.left), _occurrences(tokens, p.right)
    # Right occurrences by where they start and by where they end: each left occurrence looks up
    # only those in reach (a window of the slop), so a long text costs linear, not left x right.
    by_start, by_end = sorted(right), sorted(right, key=lambda o: o[1])
    starts, ends = [o[0] for o in by_start], [o[1] for o in by_end]
    marked: set[tuple[int, int]] = set()
    for a in left:
        after = by_start[bisect_left(starts, a[1] + 1):bisect_right(starts, a[1] + p.slop)]
        before = [] if p.ordered else by_end[bisect_left(ends, a[0] - p.slop):bisect_right(ends, a[0] - 1)]
        for b in after + before:
            marked.update((a, b))
    return sorted((tokens[i][1], tokens[j][2]) for i, j in marked)


def _occurrences(tokens: list[Token], alternatives: tuple[tuple[str, ...], ...]) -> list[tuple[int, int]]:
    """Return (first, last) token index of every occurrence of any alternative (adjacent words)."""
    out = []
    for words in alternatives:
        n = len(words)
        for i in range(len(tokens) - n + 1):
            if all(_is(tokens[i + k][0], w) for k, w in enumerate(words)):
                out.append((i, i + n - 1))
    return out


def _is(term: str, word: str) -> bool:
    """Return True when a folded token stands for a word (a possessive also for its plain word)."""
    return term == word or plain(term) == word


def find_spans(text: str, plan: Plan, limit: int | None = None) -> list[Span]:
    """Return the spans of every match of the plan in the text (about the first `limit`, if given)."""
    return [(s, e) for _, s, e in find_matches(text, plan, limit)]


def _tokens(text: str, stem: bool) -> tuple[list[Token], list[Token]]:
    """Return the text's (stemmed, exact) tokens with offsets (the same as `analysis.token_spans`)."""
    raw = _raw_tokens(text)
    stemmed = [(_forms(r)[1], s, e) for r, s, e in raw] if stem else []
    return stemmed, [(fold(r), s, e) for r, s, e in raw]


def _raw_tokens(text: str) -> list[Token]:
    """Return (token before folding, start, end) for each token, CJK runs as bigrams."""
    if _plain_words(text):  # the word alternative alone: a quarter faster over a long text
        return [(m.group(), m.start(), m.end()) for m in _WORD_TOKEN.finditer(text)]
    if not _HAS_CJK.search(text):
        return [(m.group(), m.start(), m.end()) for m in FAST_TOKEN.finditer(text)]
    out: list[Token] = []
    for m in FAST_TOKEN.finditer(text):
        if m.lastgroup == "cjk":
            run, base = m.group(), m.start()
            if len(run) == 1:
                out.append((run, base, base + 1))
            out += [(run[i : i + 2], base + i, base + i + 2) for i in range(len(run) - 1)]
        else:
            out.append((m.group(), m.start(), m.end()))
    return out


def _labels(patterns: list[Pattern]) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    for p in patterns:
        labels.setdefault(p.words[0], []).append(p.label)
    return labels


@lru_cache(maxsize=200_000)
def _forms(raw: str) -> tuple[str, str]:
    folded = fold(raw)
    return folded, porter_stem(plain(folded) or folded)


@lru_cache(maxsize=200_000)
def _variants(raw: str) -> tuple[str, ...]:
    """Return the exact terms a raw token is indexed as: its folded form, and a possessive's plain word."""
    folded = fold(raw)
    p = plain(folded)
    return (folded, p) if p is not None else (folded,)


def phrase_spans(tokens: list[Token], words: tuple[str, ...], slop: int) -> list[Span]:
    """Return the spans of a phrase: each word follows the previous one within slop+1 positions.

    Each match runs from an occurrence of the first word to the earliest position where the
    whole phrase is complete.
    """
    terms = [term for term, _, _ in tokens]
    where = {w: [i for i, t in enumerate(terms) if t == w] for w in set(words)}
    # A possessive also stands as its plain word where that word is wanted.
    owned = [i for i, t in enumerate(terms) if t.endswith(POSSESSIVE) and len(t) > 2 and t[:-2] in where]
    for i in owned:
        where[terms[i][:-2]].append(i)
    if owned:
        where = {w: sorted(at) for w, at in where.items()}
    if not all(where.values()):
        return []
    out = []
    for start in where[words[0]]:
        reach = [start]
        for w in words[1:]:
            # Positions of w reachable from any position of the previous word (not greedy: a
            # later occurrence of a middle word can be the one that completes the phrase).
            reach = _reachable(where[w], reach, slop)
            if not reach:
                break
        if reach:
            out.append((tokens[start][1], tokens[min(reach)][2]))
    return out


def _reachable(positions: list[int], reach: list[int], slop: int) -> list[int]:
    """Return the positions (sorted) that lie 1 to slop+1 places after any of `reach` (sorted)."""
    out: list[int] = []
    covered = -1
    for p in reach:
        start = bisect_right(positions, max(p, covered))
        covered = max(covered, p + slop + 1)
        out += positions[start: bisect_right(positions, p + slop + 1)]
    return out


def make_hit(f: dict, score: float, paths: list[str], comp: Planned, count: int) -> Hit:
    """Return the Hit of one stored document (its fields as the Whoosh index stores them), marked by the plans."""
    text, title = f.get("text", ""), f.get("title", "")
    body = find_matches(text, comp.body_plan, limit=MAX_SNIPPET_SPANS)
    head = find_matches(title, comp.title_plan)
    matched = sorted({label for label, _, _ in body + head}, key=str.casefold)
    return Hit(
        id=f["id"], title=title, source=f.get("source_name", ""), collection=f.get("collection", ""),
        date=f.get("date", ""), url=f.get("url", ""), path=f["path"], paths=paths,
        score=round(float(score), 4), snippets=snippets(text, [(a, b) for _, a, b in body], count),
        matched=matched, title_spans=merge_spans([(a, b) for _, a, b in head]), language=f.get("lang", ""),
        relpath=f.get("relpath", ""),
    )


def document_marks(doc: Document, comp: Planned) -> Marks:
    """Return every match of the plans in a document's title and text (about the first `MAX_MARKS` of the text)."""
    body = find_spans(doc.text, comp.body_plan, MAX_MARKS)
    head = find_spans(doc.title, comp.title_plan)
    return Marks(merge_spans(head), merge_spans(body), len(body) + len(head))
