"""Clean plain text: remove boilerplate lines with a reason for each, keep every article line.

Stages, in order:
1. split the text into blocks (paragraphs) of lines, keeping offsets;
2. judge each line, three layers: rules kept as data (generic, then the source's own), lines
   learnt from the corpus (they recur in many documents of the source), then generic evidence:
   the list under a closing "Related" heading, image tag lines, and the learned line classifier
   for what is left (only when it is confident; never the first line or a long sentence);
3. remove judged lines only from the edges of their block (never from the middle of a paragraph);
4. assemble the cleaned text; repeat until nothing changes (a removal changes its neighbours'
   context), then record where each removed line stood in the original and in the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from archive.clean.classify import LineModel, default_model, may_remove
from archive.clean.lines import (
    Line,
    capitalised_words,
    is_tag_line,
    match_rules,
    split_lines,
)
from archive.clean.meta import source_from_boilerplate
from archive.clean.rules import LineRule, SourceRules, find_source, generic_rules, rule_screen
from archive.documents import Removed

_DEFAULT = "default"
_MAX_PASSES = 8
RELATED = "related links list"
_LIST_ITEM_MAX_WORDS = 20


@dataclass
class CleanText:
    """The result of cleaning: the kept text, what was removed and why, and the source if known."""

    text: str
    removed: list[Removed] = field(default_factory=list)
    source: str = ""
    paragraphs: list[str] = field(default_factory=list)


MODEL_MAX_LINES = 5000


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
    src = find_source(raw)
    rules, screen = _rules_for(src)
    scorer: LineModel | None = default_model() if model == _DEFAULT else model  # type: ignore[assignment]
    removed: list[Line] = []
    text, origin = raw, None
    spans: list[tuple[int, int, int]] = []
    verdicts: dict[str, str | None] = {}  # rule verdicts by line text: the same in every pass
    # Removing a line changes its neighbours' context, so clean until nothing changes: the result
    # is then a fixed point, and cleaning it again gives it back unchanged (idempotent).
    for _ in range(_MAX_PASSES):
        lines = split_lines(text)
        if origin is not None:
            for line in lines:
                line.start = origin[line.start]
        _judge(lines, rules, screen, learnt, capitalised_words(text), verdicts)
        _judge_by_model(lines, scorer)
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
    signed = source_from_boilerplate([(r.text, r.reason) for r in removals])
    return CleanText(text, removals, source_hint or (src.name if src else "") or signed, paragraphs)


@lru_cache(maxsize=64)
def _rules_for(src: SourceRules | None) -> tuple[tuple[LineRule, ...], re.Pattern[str]]:
    """Return the rules that apply to a source's text (generic first), and their screen."""
    rules = generic_rules() + (src.rules if src else ())
    return rules, rule_screen(rules)


def _judge(lines: list[Line], rules: tuple[LineRule, ...], screen: re.Pattern[str], learnt: frozenset[str],
           caps: set[str], verdicts: dict[str, str | None]) -> None:
    for line in lines:
        if line.text not in verdicts:
            verdicts[line.text] = match_rules(line.text, rules, screen)
        line.reason = verdicts[line.text]
        if line.reason is None and line.key in learnt:
            line.reason = "repeated in many documents of this source"
    _mark_related_tail(lines)
    for i, line in enumerate(lines):
        if line.reason is None and is_tag_line(line.text, caps):
            line.reason = "image tag list"
    # A tag line is most often found beside a caption; that evidence can stand in for proper nouns.
    for i, line in enumerate(lines):
        if line.reason is None and _next_to_caption(lines, i) and is_tag_line(line.text, _all_words(line.text)):
            line.reason = "image tag list"


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


def _judge_by_model(lines: list[Line], model: LineModel | None) -> None:
    """Mark lines the learned classifier is confident about; never the first line (the headline)."""
    if model is None or len(lines) < 2 or len(lines) > MODEL_MAX_LINES:
        # Past a few thousand lines a text is a report or a listing, not a scraped article page:
        # the classifier (trained on article pages) has little to say there, and its per-line
        # features would dominate the cost. The rules still apply.
        return
    wanted = [i > 0 and line.reason is None and may_remove(line.text) for i, line in enumerate(lines)]
    probs = model.score_lines([line.text for line in lines], wanted)
    for line, p, want in zip(lines, probs, wanted):
        if want and p >= model.threshold:
            line.reason = f"looks like boilerplate (line classifier, p={p:.2f})"


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
