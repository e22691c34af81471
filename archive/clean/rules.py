"""Load boilerplate rules, kept as data in `archive/rules/*.toml` (shipped as package data)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class LineRule:
    """A pattern that marks a whole line as boilerplate, and the reason reported for it."""

    pattern: re.Pattern[str]
    reason: str

    def matches(self, line: str) -> bool:
        """Return True when the stripped line matches."""
        return bool(self.pattern.match(line))


@dataclass(frozen=True)
class SourceRules:
    """What identifies one source, and the rules that apply only to it."""

    name: str
    signatures: tuple[str, ...] = ()
    rules: tuple[LineRule, ...] = field(default_factory=tuple)


@lru_cache(maxsize=64)
def rule_screen(rules: tuple[LineRule, ...]) -> re.Pattern[str]:
    """Return one pattern that matches a line exactly when some rule of `rules` does.

    One alternation tried in C costs a fraction of a Python loop over every rule, and most lines
    match none; the loop then runs only to find which rule (the first) matched.
    """
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules) or "(?!)", re.IGNORECASE)


def _compile(entries: list[dict]) -> tuple[LineRule, ...]:
    return tuple(LineRule(re.compile(e["pattern"], re.IGNORECASE), e["reason"]) for e in entries)


def _read(name: str) -> dict:
    text = resources.files("archive").joinpath("rules", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def generic_rules() -> tuple[LineRule, ...]:
    """Return the rules that apply to every source."""
    return _compile(_read("generic.toml").get("rule", []))


@lru_cache(maxsize=1)
def source_rules() -> tuple[SourceRules, ...]:
    """Return the per-source rules."""
    out = []
    for s in _read("sources.toml").get("source", []):
        out.append(SourceRules(s["name"], tuple(s.get("signatures", ())), _compile(s.get("rule", []))))
    return tuple(out)


def find_source(text: str) -> SourceRules | None:
    """Return the source whose signature occurs in the text, if any."""
    for src in source_rules():
        if any(sig in text for sig in src.signatures):
            return src
    return None
