"""Load boilerplate rules, kept as data in `archive/rules/generic.toml` (shipped as package data).

A rule names a kind of line (share widget labels, a subscription call, a photo credit), never a
sentence of one page and never a site. A `certain` rule removes its lines outright; any other rule
is evidence the line classifier weighs with the line's context.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

from archive.clean.kinds import KINDS


@dataclass(frozen=True)
class LineRule:
    """A pattern that marks a whole line as a kind of boilerplate, and the reason reported for it."""

    pattern: re.Pattern[str]
    reason: str
    kind: str
    certain: bool = False

    def matches(self, line: str) -> bool:
        """Return True when the stripped line matches."""
        return bool(self.pattern.match(line))


class RuleScreen:
    """Tells whether some rule of a set matches a line, at a fraction of the cost of trying each
    rule from Python; most lines match none, and only for the others are the rules tried one by one.

    Each rule's pattern is taken apart into its top-level branches ("^a|^b" is "^a" and "^b"),
    since the line matches the rule when it matches one of them, and the branches are tried in
    three groups, each the way Python's engine runs fastest:

    - those beginning "^", as one alternation behind a single "^" (with "^" in every branch, the
      engine cannot skip a branch on its first character);
    - those beginning ".*" (what follows may be anywhere in the line), searched for what follows it,
      each on its own: a search skips ahead in C, where ".*" backs off one character at a time;
      and only in a line that holds the texts every match of it holds (`required_texts`: "/",
      ":", "(" and ")" of credits, "app" of an app promo), which most lines do not;
    - the others, as one alternation tried at the line's start.

    The "^" branches are many, and the engine enters each of them at a line's first character;
    they are grouped by the characters they may begin with (`ByFirstChar`), and a line is
    tried only with the branches its first character may begin.

    Over the lines of Reuters-derived articles this took 30.6 µs a line against 42.5 for one
    alternation of the whole patterns. On another machine and another set of lines (those cleaning
    asks about), looking for the needed texts first took it from 20.0 to 13.4 µs a line for
    Reuters-derived files and from 34.1 to 18.1 for BBC's.

    A line holding a line break is tried with that alternation, since a search would look past
    the break where "." cannot. A pattern with a backreference is tried whole and on its own,
    since taking it apart, or joining it to others, would change its group numbers.
    """

    def __init__(self, rules: tuple[LineRule, ...]):
        caret: list[str] = []
        anywhere: list[str] = []
        rest: list[str] = []
        kept: list[str] = []
        for rule in rules:
            pattern = rule.pattern.pattern
            if _BACKREFERENCE.search(pattern):
                kept.append(pattern)
                continue
            for branch in _top_branches(pattern):
                if branch.startswith("^") and branch[1:2] not in ("", "*", "+", "?", "{"):
                    caret.append(branch[1:])
                elif branch.startswith(".*") and branch[2:3] not in ("", "*", "+", "?", "{"):
                    anywhere.append(branch[2:])
                else:
                    rest.append(branch)
        self.caret = ByFirstChar(caret)
        # Each searched branch with the texts every match of it holds (lower-cased), and those of
        # them without letters: a line without one of them is not searched.
        self.anywhere = tuple((re.compile(p, re.IGNORECASE), texts, tuple(t for t in texts if not _has_case(t)))
                              for p in anywhere for texts in [required_texts(p)])
        self.rest = re.compile(_alternation(rest) or "(?!)", re.IGNORECASE)
        self.kept = tuple(re.compile(p, re.IGNORECASE) for p in kept)  # each tried whole, at the line's start
        self.whole = re.compile(_alternation([r.pattern.pattern for r in rules]) or "(?!)", re.IGNORECASE)

    def __call__(self, line: str) -> bool:
        if "\n" in line:
            return bool(self.whole.match(line))
        if self.caret.match(line) or self.rest.match(line) or any(p.match(line) for p in self.kept):
            return True
        # An ASCII line, lower-cased, holds a branch's lower-cased texts when it matches the branch;
        # in any other line, only the texts without letters are looked for (a letter there may
        # match a letter outside ASCII: the Kelvin sign is a "k").
        ascii_only = line.isascii()
        low = line.lower() if ascii_only else line
        for pattern, texts, marks in self.anywhere:
            for text in texts if ascii_only else marks:
                if text not in low:
                    break
            else:
                if pattern.search(line):
                    return True
        return False


class ByFirstChar:
    """Case-blind branches tried at a line's start as one alternation, chosen by the line's first character.

    For each ASCII character, the alternation holds the branches a line beginning with it may
    match (read from each branch's parse tree: `first_chars`), in their order; a line beginning
    with another character is tried with every branch.
    """

    def __init__(self, branches: list[str]):
        self.every = _at_start(branches)
        firsts = [first_chars(b) for b in branches]
        made: dict[tuple[str, ...], re.Pattern[str]] = {}
        self.by_char: dict[str, re.Pattern[str]] = {}
        for ch in _ASCII:
            chosen = tuple(b for b, first in zip(branches, firsts) if first is None or ch in first)
            if chosen not in made:
                made[chosen] = _at_start(list(chosen))
            self.by_char[ch] = made[chosen]

    def match(self, line: str) -> re.Match[str] | None:
        return self.by_char.get(line[:1], self.every).match(line)


def _at_start(branches: list[str]) -> re.Pattern[str]:
    return re.compile(f"^{_alternation(branches)}" if branches else "(?!)", re.IGNORECASE)


_ASCII = [chr(i) for i in range(128)]


def first_chars(pattern: str) -> frozenset[str] | None:
    """Return the ASCII characters a text the pattern matches (case-blind) may begin with, or None
    when it may begin with any character (or begin empty, or the pattern is beyond this reading)."""
    try:
        chars, empty = _first(_parser.parse(pattern, re.IGNORECASE))
    except Exception:  # noqa: BLE001 - a pattern this reading does not follow is tried on every line
        return None
    return None if chars is None or empty else frozenset(chars)


def required_texts(pattern: str) -> tuple[str, ...]:
    """Return texts of ASCII characters, lower-cased, that every case-blind match of the pattern holds
    (its runs of literal characters outside optional parts; those every alternative of a branch
    holds), or none when the pattern is beyond this reading."""
    try:
        return tuple(sorted(set(_required(_parser.parse(pattern, re.IGNORECASE))), key=lambda t: (-len(t), t)))
    except Exception:  # noqa: BLE001 - a pattern this reading does not follow is searched on every line
        return ()


def _required(items: Any) -> list[str]:
    out: list[str] = []
    run = ""
    for op, av in items:
        if op is _sre.LITERAL and av < 128:
            run += chr(av).lower()
            continue
        if run:
            out.append(run)
            run = ""
        if op is _sre.SUBPATTERN:
            out += _required(av[3])
        elif op is _sre.ATOMIC_GROUP:
            out += _required(av)
        elif op in _REPEATS and av[0] >= 1:
            out += _required(av[2])
        elif op is _sre.BRANCH:
            each = [set(_required(alternative)) for alternative in av[1]]
            out += sorted(set.intersection(*each)) if each else []
    return out + [run] if run else out


def _has_case(text: str) -> bool:
    return text.lower() != text.upper()


_ZERO_WIDTH = (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT)
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT)


def _first(items: Any) -> tuple[set[str] | None, bool]:
    """Return the ASCII characters a sequence of parsed items may begin with (None: any), and
    whether it may match the empty text."""
    out: set[str] = set()
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _sre.LITERAL or op is _sre.IN:
            chars = _class_chars([(op, av)] if op is _sre.LITERAL else av)
            return (None if chars is None else out | chars), False
        if op is _sre.SUBPATTERN or op is _sre.ATOMIC_GROUP:
            chars, empty = _first(av[3] if op is _sre.SUBPATTERN else av)
        elif op in _REPEATS:
            chars, empty = _first(av[2])
            empty = empty or av[0] == 0
        elif op is _sre.BRANCH:
            chars, empty = set(), False
            for alternative in av[1]:
                got, alt_empty = _first(alternative)
                if got is None:
                    return None, True
                chars |= got
                empty = empty or alt_empty
        else:  # any character, a negated one, a backreference, a conditional
            return None, True
        if chars is None:
            return None, True
        out |= chars
        if not empty:
            return out, False
    return out, True


def _class_chars(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Return the ASCII characters a set of literals, ranges and categories ("\\d", "\\S") matches
    case-blind, negated or not (None: an item this reading does not know)."""
    parts = []
    for op, av in items:
        if op is _sre.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _sre.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _sre.NEGATE and not parts:
            parts.append("^")
        elif op is _sre.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        else:
            return None
    one = re.compile(f"[{''.join(parts)}]", re.IGNORECASE)  # the engine's own case folding decides
    return {ch for ch in _ASCII if one.match(ch)}


_CATEGORIES = {_sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D", _sre.CATEGORY_SPACE: r"\s",
               _sre.CATEGORY_NOT_SPACE: r"\S", _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W"}


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _alternation(patterns: list[str]) -> str:
    return "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")" if patterns else ""


def _top_branches(pattern: str) -> list[str]:
    """Return the branches of a pattern's top-level alternation ("a|b" gives "a" and "b"; "(a|b)c"
    is one branch)."""
    out, depth, i, n, start = [], 0, 0, len(pattern), 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # a class: skip to its end ("]" first in it, or after "^", is a literal)
            i += 1
            i += pattern[i:i + 1] == "^"
            i += pattern[i:i + 1] == "]"
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    return out + [pattern[start:]]


@lru_cache(maxsize=64)
def rule_screen(rules: tuple[LineRule, ...]) -> RuleScreen:
    """Return the screen of a set of rules (`RuleScreen`)."""
    return RuleScreen(rules)


def _compile(entries: list[dict]) -> tuple[LineRule, ...]:
    out = []
    for e in entries:
        if e["kind"] not in KINDS:
            raise ValueError(f"rule of unknown kind {e['kind']!r}: {e['pattern'][:60]}")
        out.append(LineRule(re.compile(e["pattern"], re.IGNORECASE), e["reason"], e["kind"], bool(e.get("certain"))))
    return tuple(out)


def _read(name: str) -> dict:
    text = resources.files("archive").joinpath("rules", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def generic_rules() -> tuple[LineRule, ...]:
    """Return the rules that apply to every source."""
    return _compile(_read("generic.toml").get("rule", []))


@lru_cache(maxsize=1)
def _generic_screen() -> RuleScreen:
    return rule_screen(generic_rules())


def matching_rules(line: str) -> tuple[LineRule, ...]:
    """Return every generic rule that matches the line (none, for most lines), in file order."""
    if not _generic_screen()(line):
        return ()
    return tuple(r for r in generic_rules() if r.matches(line))
