"""Split glued lines: a boilerplate phrase and an article sentence saved on one line.

Scrapers often lose the line break between a promo, caption or label and the paragraph next to
it: "Subscribe to our newsletter Officials said on Monday that …". Removing the whole line would
take the sentence with it; keeping it keeps the promo. A line is split where

- a sentence ends (". ", "! ", "? " before a capital) and the piece before (or after) it is scored
  boilerplate by the classifier's first stage while the rest reads as article text; or
- no punctuation marks the join, but a boilerplate rule matches the piece before a capitalised
  word ("Subscribe to our newsletter | Officials said …", "Photo: Jo Baker/PA | Insurers said …").

Only a whole line that is its own paragraph is split, and the boilerplate piece is at most
`MAX_PIECE_WORDS` words; everything else is left to the line-level judgement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive.clean.classify import LineModel, boilerplate_kind
from archive.clean.kinds import CONTENT, KINDS, reason_of
from archive.clean.rules import LineRule, matching_rules

MAX_PIECE_WORDS = 20
MIN_REST_WORDS = 6
# The first stage's probability that a piece is boilerplate, needed to split it off on its own
# evidence (without a rule); high, because a split that is wrong cuts a sentence in two.
SPLIT_P = 0.97
MAX_UNRULED_WORDS = 12
RULE_SPLIT_P = 0.5
_SENTENCE_GAP = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_UNPUNCTUATED = re.compile(r"(?<=[\w)])\s+(?=[A-Z][a-z])")
# Words that announce a boilerplate piece; a line without one in its opening is not looked at
# for a join without punctuation (which needs a rule to match the piece). Whole words, and the
# beginnings of words that take an ending ("subscribers", "advertisement").
_CUE_WORDS = frozenset("photo photos image images picture pictures credit getty reuters afp newsletter newsletters "
                       "share read follow sign download app apps copyright related comment comments".split())
_CUE_STEMS = ("subscri", "advert")
_CUE = re.compile(r"\b(" + "|".join(sorted(_CUE_WORDS) + [f"{stem}\\w*" for stem in _CUE_STEMS]) + r")\b|©",
                  re.IGNORECASE)
_CUE_REACH = 160  # a cue is looked for in this many characters at either end of a line
_RUN = re.compile(r"\w+")
# What every cue holds ("photo" is in "photos"): a text holding none of these has no cue.
_CUE_PARTS = tuple(sorted({w for w in _CUE_WORDS if not any(v != w and v in w for v in _CUE_WORDS)} | set(_CUE_STEMS)))
_FUNCTION = frozenset("a an the and or of in on at to for from by with as is are was were be this that".split())


@dataclass(frozen=True)
class Split:
    """The piece of a line to remove (offsets into its text), the piece to keep, and why."""

    drop: tuple[int, int]
    keep: tuple[int, int]
    reason: str


def find_split(text: str, model: LineModel | None, whole: tuple[LineRule, ...] | None = None) -> Split | None:
    """Return where a glued line should be cut, or None to leave it whole.

    :param whole: the rules the whole line matches, when the caller has them.
    """
    whole = matching_rules(text) if whole is None else whole
    if len(text.split()) < MIN_REST_WORDS + 2 or any(r.certain or r.kind == "caption" for r in whole):
        # Too short to hold a sentence and a piece, or boilerplate as a whole: a credit after a
        # sentence ("… on Monday. (Getty Images)") makes the whole line a caption.
        return None
    n = len(text)
    head_cue = _has_cue(text[:_CUE_REACH])
    tail_cue = head_cue if n <= _CUE_REACH else _has_cue(text[-_CUE_REACH:])  # a short line is both ends
    if not (head_cue or tail_cue):
        return None  # the cheap test that spares most lines: no word that announces boilerplate
    candidates: list[tuple[tuple[int, int], tuple[int, int]]] = []  # (drop span, keep span)
    for m in _SENTENCE_GAP.finditer(text):
        head, tail = text[:m.start()], text[m.end():]
        if head_cue and len(head.split()) <= MAX_PIECE_WORDS and _has_cue(head):
            candidates.append(((0, m.start()), (m.end(), n)))
        if tail_cue and len(tail.split()) <= MAX_PIECE_WORDS and _has_cue(tail):
            candidates.append(((m.end(), n), (0, m.start())))
    if head_cue:
        for m in _UNPUNCTUATED.finditer(text):
            head = text[:m.start()]
            if len(head.split()) > MAX_PIECE_WORDS:
                break
            last = head.split()[-1]
            if last.lower() not in _FUNCTION and not last.endswith(",") and matching_rules(head):
                candidates.append(((0, m.start()), (m.end(), n)))
    candidates = [c for c in candidates if len(text[c[1][0]:c[1][1]].split()) >= MIN_REST_WORDS]
    if not candidates:
        return None
    return _best(text, candidates, model)


def _has_cue(text: str) -> bool:
    """Return True when a text holds a word of `_CUE`.

    An ASCII text is told by substrings, then by its words (a whole word equal to a cue word, as
    `\\b…\\b` asks), at a fraction of the cost of the case-insensitive search; a text holding a
    cue stem, or any character outside ASCII (where case folding has more to it), is searched.
    """
    if not text.isascii():
        return _CUE.search(text) is not None
    low = text.lower()
    if not any(word in low for word in _CUE_PARTS):
        return False  # not even inside a longer word: most lines
    if any(stem in low for stem in _CUE_STEMS):
        return _CUE.search(text) is not None
    return not _CUE_WORDS.isdisjoint(_RUN.findall(low))


def _best(text: str, candidates: list[tuple[tuple[int, int], tuple[int, int]]],
          model: LineModel | None) -> Split | None:
    pieces = [text[a:b].strip() for (a, b), _ in candidates]
    rests = [text[a:b].strip() for _, (a, b) in candidates]
    piece_rules = [matching_rules(p) for p in pieces]
    if model is None:
        for (drop, keep), rules in zip(candidates, piece_rules):
            if rules and rules[0].certain:
                return Split(drop, keep, f"{rules[0].reason} (glued to a sentence)")
        return None
    kinds = [tuple(r.kind for r in rules) for rules in piece_rules]
    own = model.own_probabilities(pieces + rests, kinds + [()] * len(rests))
    content = KINDS.index(CONTENT)
    best: tuple[float, Split] | None = None
    for i, (drop, keep) in enumerate(candidates):
        p_piece = 1.0 - own[i, content]
        p_rest = own[len(pieces) + i, content]
        # Without a rule, only a short piece goes, and only on strong evidence: the first stage
        # reads a piece without its context, and a sentence cut off wrongly is lost text.
        short = len(pieces[i].split()) <= MAX_UNRULED_WORDS
        need = RULE_SPLIT_P if piece_rules[i] else (SPLIT_P if short else 2.0)
        if p_piece >= need and p_rest >= 0.5 and (best is None or p_piece > best[0]):
            if piece_rules[i]:
                reason = piece_rules[i][0].reason
            else:
                reason = reason_of(boilerplate_kind(own[i]))
            best = (p_piece, Split(drop, keep, f"{reason} (glued to a sentence)"))
    return best[1] if best else None
