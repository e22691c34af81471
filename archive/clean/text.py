"""Clean plain text: remove boilerplate lines with a reason for each, keep every article line.

Stages, in order:
1. split the text into blocks (paragraphs) of lines, keeping offsets;
2. split glued lines: a promo or caption saved on one line with an article sentence
   (`archive.clean.glued`) loses the promo and keeps the sentence;
3. judge each line: `certain` rules (kinds of line that cannot be prose: share widget labels,
   photo credits, copyright lines), lines learnt from the corpus (they recur in many documents of
   the source), the list under a closing "Related" heading, image tag lines; then the learned line
   classifier reads every line with its neighbours and its place in the document, and removes
   what it judges boilerplate, with the reason of the kind it predicts. A line matched by an
   uncertain rule goes when the classifier leans that way (a lower bar than for unmatched lines);
   long prose lines are never removed by the classifier;
4. remove judged lines only from the edges of their block (never from the middle of a paragraph);
5. assemble the cleaned text; repeat until nothing changes (a removal changes its neighbours'
   context), then record where each removed line stood in the original and in the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from archive.clean.classify import Cutoffs, LineModel, boilerplate_kind, default_model, is_prose
from archive.clean.glued import find_split
from archive.clean.kinds import CONTENT, KINDS, reason_of
from archive.clean.lines import Line, capitalised_words, is_tag_line, looks_like_sentence, split_lines
from archive.clean.meta import source_from_boilerplate
from archive.clean.rules import LineRule, matching_rules
from archive.documents import Removed

_DEFAULT = "default"
_MAX_PASSES = 8
RELATED = "related links list"
_LIST_ITEM_MAX_WORDS = 20
MODEL_MAX_LINES = 5000
TAIL_GAP_WORDS = 25
TAIL_GAP = "in a run of boilerplate after the article"
# Attribution verbs: a sentence that reports who said what is an article's, whatever its other words.
_REPORTED = re.compile(r"\b(said|says|say|told|according to|reported|announced|added|explained|warned|admitted)\b",
                       re.IGNORECASE)
_TAIL_KINDS = frozenset(("promo", "share", "related", "comment", "legal", "nav", "edition", "other"))
BY_RULE, BY_CLASSIFIER = "rule", "classifier"


def removal(text: str, boiler: float, own_boiler: float, ruled: bool, cut: Cutoffs) -> str | None:
    """Return what removes a line the certain rules left (BY_RULE or BY_CLASSIFIER), or None to keep it.

    :param boiler: the classifier's probability that the line is boilerplate, read in context.
    :param own_boiler: the same from the line's own wording alone (the first stage).
    :param ruled: an uncertain rule matches the line.
    The headline is the caller's to keep; this is the whole judgement otherwise, shared by the
    cleaner and by the training that chooses the cutoffs (bench/cleaning/train.py).
    """
    if is_prose(text):
        return None
    if ruled and rule_agrees(boiler, own_boiler, cut):
        return BY_RULE
    if boiler >= cut.threshold and not reported_speech(text):
        return BY_CLASSIFIER
    return None


def rule_agrees(boiler: float, own_boiler: float, cut: Cutoffs) -> bool:
    """Return True when the classifier supports an uncertain rule's match (probabilities of boilerplate)."""
    return boiler >= cut.rule_p or (own_boiler >= cut.rule_own_p and boiler >= cut.rule_floor)


@dataclass
class CleanText:
    """The result of cleaning: the kept text, what was removed and why, and the source if known."""

    text: str
    removed: list[Removed] = field(default_factory=list)
    source: str = ""
    paragraphs: list[str] = field(default_factory=list)


def clean_text(
    raw: str,
    *,
    learnt: frozenset[str] = frozenset(),
    source_hint: str = "",
    model: LineModel | None | str = _DEFAULT,
) -> CleanText:
    """Clean one plain-text document.

    :param learnt: whitespace-normalised lines known to be boilerplate of this source (they recur
        across many of its documents).
    :param source_hint: a source name already known (for example from HTML metadata).
    :param model: the learned line classifier; the shipped one by default, None to use rules only.
    """
    scorer = default_model() if isinstance(model, str) else model  # the one string taken is _DEFAULT
    removed: list[Line] = []
    text, origin = raw, None
    spans: list[tuple[int, int, int]] = []
    rules_of: dict[str, tuple[LineRule, ...]] = {}  # rule matches by line text: the same in every pass
    own: dict[str, np.ndarray] = {}  # the classifier's first stage by line text: likewise
    # Removing a line changes its neighbours' context, so clean until nothing changes: the result
    # is then a fixed point, and cleaning it again gives it back unchanged (idempotent).
    for n in range(_MAX_PASSES):
        lines = split_lines(text)
        if origin is not None:
            for line in lines:
                line.start = origin[line.start]
        if n == 0:
            lines = _split_glued(lines, scorer, rules_of)
        _judge(lines, learnt, capitalised_words(text), rules_of, scorer, own, removed)
        _keep_paragraph_middles(lines)
        now = [line for line in lines if line.reason]
        removed += now
        kept, spans = _assemble([line for line in lines if not line.reason])
        done = not now or kept == text
        text, origin = kept, {at: start for at, start, _ in spans}
        if done:
            break
    paragraphs = text.split("\n\n") if text else []
    removals = _place_removals(removed, spans)
    signed = source_from_boilerplate([(r.text, r.reason) for r in removals], text)
    return CleanText(text, removals, source_hint or signed, paragraphs)


def _rules(rules_of: dict[str, tuple[LineRule, ...]], text: str) -> tuple[LineRule, ...]:
    """Return the rules a line matches, matched once per distinct line of a document."""
    if text not in rules_of:
        rules_of[text] = matching_rules(text)
    return rules_of[text]


def _split_glued(lines: list[Line], model: LineModel | None, rules_of: dict[str, tuple[LineRule, ...]]) -> list[Line]:
    """Cut a boilerplate piece off each line that is a paragraph of its own and has one glued to it."""
    sizes: dict[int, int] = {}
    for line in lines:
        sizes[line.block] = sizes.get(line.block, 0) + 1
    out: list[Line] = []
    for line in lines:
        split = find_split(line.text, model, _rules(rules_of, line.text)) if sizes[line.block] == 1 else None
        if split is None:
            out.append(line)
            continue
        (da, db), (ka, kb) = split.drop, split.keep
        pieces = sorted([(da, db, split.reason), (ka, kb, None)])
        for a, b, reason in pieces:
            piece = line.text[a:b]
            lead = len(piece) - len(piece.lstrip())
            out.append(Line(piece.strip(), line.start + a + lead, line.block, reason))
    return out


def _judge(lines: list[Line], learnt: frozenset[str], caps: set[str], rules_of: dict[str, tuple[LineRule, ...]],
           model: LineModel | None, own: dict[str, np.ndarray], earlier: list[Line]) -> None:
    """Mark the boilerplate lines of one pass; `earlier` are the lines earlier passes removed."""
    matched = []
    for line in lines:
        rules = _rules(rules_of, line.text)
        matched.append(rules)
        if line.reason:
            continue
        certain = [r for r in rules if r.certain or model is None]
        if certain:
            line.reason = certain[0].reason
        elif line.key in learnt:
            line.reason = "repeated in many documents of this source"
    _mark_related_tail(lines)
    for line in lines:
        if line.reason is None and is_tag_line(line.text, caps):
            line.reason = "image tag list"
    # A tag line is most often found beside a caption; that evidence can stand in for proper nouns.
    for i, line in enumerate(lines):
        if line.reason is None and _next_to_caption(lines, i) and is_tag_line(line.text, _all_words(line.text)):
            line.reason = "image tag list"
    _judge_by_model(lines, matched, model, own, earlier)


def _mark_related_tail(lines: list[Line]) -> None:
    """Mark the list under a 'Related' heading when everything after the heading is short list items."""
    for h, line in enumerate(lines):
        if line.reason != RELATED or len(line.text.split()) > 4:
            continue
        rest = lines[h + 1:]
        if rest and all(r.reason or _list_item(r.text) for r in rest):
            for r in rest:
                r.reason = r.reason or RELATED
            return


def _list_item(text: str) -> bool:
    """Return True for a headline-like list item: short, and bulleted or without a final full stop."""
    body = text.lstrip("-–—•·*▶►> ").strip()
    bullet = len(body) < len(text.strip())
    return len(body.split()) <= _LIST_ITEM_MAX_WORDS and (bullet or not body.endswith("."))


def _judge_by_model(lines: list[Line], matched: list[tuple[LineRule, ...]], model: LineModel | None,
                    own: dict[str, np.ndarray], earlier: list[Line]) -> None:
    """Mark the lines the classifier judges boilerplate, reading each with its neighbours."""
    if model is None or len(lines) < 2 or len(lines) > MODEL_MAX_LINES:
        # Past a few thousand lines a text is a report or a listing, not a scraped article page:
        # the classifier (trained on article pages) has little to say there, and its per-line
        # features would dominate the cost. The certain rules still apply.
        return
    # The classifier reads the lines that rules and learnt lines left: a caption a rule removed is
    # no longer the neighbour that makes the subheading under it look like a credit.
    left = [i for i, line in enumerate(lines) if line.reason is None]
    if len(left) < 2:
        return
    texts = [lines[i].text for i in left]
    probs = model.probabilities(texts, [tuple(r.kind for r in matched[i]) for i in left], own)
    content = KINDS.index(CONTENT)
    kinds = [rules[0].kind if rules else "other" for rules in matched]  # of the lines already judged
    for i in left:
        kinds[i] = CONTENT
    first = left[0]  # the first line no rule removed is the headline (or stands for it): kept
    for k, i in enumerate(left[1:], 1):
        line, p, rules = lines[i], probs[k], matched[i]
        boiler = 1.0 - float(p[content])
        own_boiler = 1.0 - float(own[line.text][content]) if line.text in own else 0.0
        by = removal(line.text, boiler, own_boiler, bool(rules), model.cutoffs)
        if by is None:
            continue
        kinds[i] = rules[0].kind if rules else boilerplate_kind(p)
        line.reason = rules[0].reason if by == BY_RULE else f"{reason_of(kinds[i])} (line classifier, p={boiler:.2f})"
    for i, line in enumerate(lines):
        if line.reason:
            line.kind = kinds[i]
    full = np.zeros(len(lines))
    full[left] = probs[:, content]
    _close_tail_gaps(lines, full, first, earlier)


def reported_speech(text: str) -> bool:
    """Return True for a sentence that attributes what someone said: news prose, never a page's chrome."""
    return bool(_REPORTED.search(text)) and looks_like_sentence(text)


def _close_tail_gaps(lines: list[Line], content: np.ndarray, first: int, earlier: list[Line]) -> None:
    """Mark a short line that sits between two boilerplate lines after the article's last paragraph.

    Sites end their articles with runs of promos, share bars and links; a line of such a run that
    the classifier alone would keep (a short sentence addressed to the reader) is boilerplate by
    its place. The run must be after every paragraph of the article, and its lines of the kinds that
    close a page (not captions, which sit beside paragraphs). A neighbour an earlier pass removed
    still counts where it stood, so the outcome does not depend on which pass removed what.
    """
    paragraphs = [i for i, line in enumerate(lines)
                  if line.reason is None
                  and (is_prose(line.text) or (content[i] >= 0.5 and len(line.text.split()) >= TAIL_GAP_WORDS))]
    if not paragraphs:
        return
    # The page's lines in their original order: this pass's, and the ones removed before it.
    after = lines[paragraphs[-1]].start
    order = sorted(lines + [line for line in earlier if line.start > after], key=lambda line: line.start)
    at = {id(line): n for n, line in enumerate(order)}
    for i in range(paragraphs[-1] + 1, len(lines)):
        line, n = lines[i], at[id(lines[i])]
        if line.reason is None and i != first and len(line.text.split()) < TAIL_GAP_WORDS and \
                0 < n < len(order) - 1 and _tail_boilerplate(order[n - 1]) and _tail_boilerplate(order[n + 1]):
            line.reason = TAIL_GAP
            line.kind = "other"


def _tail_boilerplate(line: Line) -> bool:
    """Return True for a removed line of a kind that closes a page (a promo, a share bar, a link list...)."""
    return bool(line.reason) and line.kind in _TAIL_KINDS


def _all_words(text: str) -> set[str]:
    return set(text.split())


def _next_to_caption(lines: list[Line], i: int) -> bool:
    for j in (i - 1, i + 1):
        if 0 <= j < len(lines) and lines[j].reason == "photo caption":
            return True
    return False


def _keep_paragraph_middles(lines: list[Line]) -> None:
    """Un-judge lines that sit between kept lines of the same block: only edges are removed."""
    blocks: dict[int, list[Line]] = {}
    for line in lines:
        blocks.setdefault(line.block, []).append(line)
    for members in blocks.values():
        lo, hi = 0, len(members)
        while lo < hi and members[lo].reason:
            lo += 1
        while hi > lo and members[hi - 1].reason:
            hi -= 1
        for line in members[lo:hi]:
            line.reason = None


def _assemble(lines: list[Line]) -> tuple[str, list[tuple[int, int, int]]]:
    """Join kept lines (a block's lines by newline, blocks by a blank line).

    Return the text and, per line, (offset in the text, offset in the original, length).
    """
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    length, last_block = 0, None
    for line in lines:
        if parts:
            sep = "\n" if line.block == last_block else "\n\n"
            parts.append(sep)
            length += len(sep)
        spans.append((length, line.start, len(line.text)))
        parts.append(line.text)
        length += len(line.text)
        last_block = line.block
    return "".join(parts), spans


def _place_removals(removed: list[Line], spans: list[tuple[int, int, int]]) -> list[Removed]:
    """Return the removed lines in original order, each placed at the end of the kept text before it."""
    out, k = [], 0
    for line in sorted(removed, key=lambda x: x.start):
        while k < len(spans) and spans[k][1] < line.start:
            k += 1
        at = spans[k - 1][0] + spans[k - 1][2] if k else 0
        out.append(Removed(line.text, line.reason or "", line.start, at))
    return out
