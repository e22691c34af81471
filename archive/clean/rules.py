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


@lru_cache(maxsize=64)
def rule_screen(rules: tuple[LineRule, ...]) -> re.Pattern[str]:
    """Return one pattern that matches a line exactly when some rule of `rules` does.

    One alternation tried in C costs a fraction of a Python loop over every rule, and most lines
    match none; the loop then runs only to find which rules matched.
    """
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules) or "(?!)", re.IGNORECASE)


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
def _generic_screen() -> re.Pattern[str]:
    return rule_screen(generic_rules())


def matching_rules(line: str) -> tuple[LineRule, ...]:
    """Return every generic rule that matches the line (none, for most lines), in file order."""
    if not _generic_screen().match(line):
        return ()
    return tuple(r for r in generic_rules() if r.matches(line))
