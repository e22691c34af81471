"""Aliases: groups of equivalent names (transliterations, old names) that a query expands to.

The file is TOML, user-editable: `aliases = ["Kimhyongjik = Kimhyongjok = Huchang", ...]`
(a group may also be a list of names). Names compare as the index compares words (case,
accents, apostrophes and hyphens folded), so `Kim Jong-un` and `kim jong un` are one name.
Expansion rewrites the query tree: a word, a phrase, or a run of unquoted words that spells a
name becomes `name OR variant OR ...`, each variant labelled so hits can say which one matched.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from archive.errors import ArchiveError
from archive.query.tree import And, Node, Not, Or, Phrase, Term
from archive.query.words import words

logger = logging.getLogger(__name__)
Key = tuple[str, ...]


@dataclass(frozen=True)
class Aliases:
    """Groups of equivalent names, indexed by their folded words."""

    groups: tuple[tuple[str, ...], ...] = ()
    _index: dict[Key, int] = field(default_factory=dict, compare=False, repr=False)
    _longest: int = 1

    @classmethod
    def from_groups(cls, groups: list[list[str]]) -> Aliases:
        """Build from lists of names (groups with fewer than two distinct names are dropped)."""
        kept: list[tuple[str, ...]] = []
        index: dict[Key, int] = {}
        for names in groups:
            distinct: dict[Key, str] = {}
            for name in names:
                if words(name):
                    distinct.setdefault(words(name), name.strip())
            if len(distinct) < 2:
                continue
            for key in distinct:
                if key in index:
                    logger.warning("alias %r is in two groups; the first one is used", " ".join(key))
                else:
                    index[key] = len(kept)
            kept.append(tuple(distinct.values()))
        longest = max((len(k) for k in index), default=1)
        return cls(tuple(kept), index, longest)

    def group(self, key: Key) -> tuple[str, ...]:
        """Return the names equivalent to a name (itself included), or () when it has none."""
        i = self._index.get(key)
        return self.groups[i] if i is not None else ()

    def expand(self, tree: Node) -> Node:
        """Return the tree with every aliased name replaced by `name OR variants`."""
        return _expand(tree, self) if self.groups else tree


NO_ALIASES = Aliases()


def load_aliases(path: str | Path | None = None) -> Aliases:
    """Load an aliases file; None is no file (no aliases: an archive names its own, as samples/archive.toml does)."""
    if path is None:
        return NO_ALIASES
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ArchiveError(f"Cannot read the aliases file {path or '(built in)'}: {exc}") from exc
    groups = []
    for entry in data.get("aliases", []):
        if isinstance(entry, str):
            groups.append(entry.split("="))
        elif isinstance(entry, list) and all(isinstance(n, str) for n in entry):
            groups.append(entry)
        else:
            raise ArchiveError(f"In {path}: each alias group is a string 'A = B = C' or a list of names, not {entry!r}")
    return Aliases.from_groups(groups)


def _expand(node: Node, aliases: Aliases) -> Node:
    if isinstance(node, Term):
        return _variants(node, words(node.text), aliases) if _plain(node) else node
    if isinstance(node, Phrase):
        return _variants(node, words(node.text), aliases)
    if isinstance(node, Not):
        return Not(_expand(node.child, aliases))
    if isinstance(node, Or):
        return Or(tuple(_expand(c, aliases) for c in node.children))
    if isinstance(node, And):
        return _and_runs(node, aliases)
    return node


def _plain(node: object) -> TypeGuard[Term]:
    return isinstance(node, Term) and not node.prefix and not node.fuzzy


def _variants(node: Term | Phrase, key: Key, aliases: Aliases, unquoted: bool = False) -> Node:
    """Return `node OR each other name of its group`, or the node when it names no group.

    Variants of an unquoted word are unquoted words (stemmed like it); names of several words,
    and variants of a quoted phrase, are phrases.
    """
    names = aliases.group(key)
    others = [n for n in names if words(n) != key]
    if not others:
        return node
    slop = node.slop if isinstance(node, Phrase) else 0
    alts: list[Node] = []
    for name in others:
        single = len(words(name)) == 1 and (unquoted or isinstance(node, Term))
        alts.append(Term(name, node.field) if single else Phrase(name, node.field, slop))
    return Or((node, *alts))


def _and_runs(node: And, aliases: Aliases) -> Node:
    """Expand children, and runs of unquoted words that spell a name (Kim Jong Un)."""
    kids = list(node.children)
    out: list[Node] = []
    i = 0
    while i < len(kids):
        run = _longest_name(kids, i, aliases)
        if run:
            key = tuple(w for t in run for w in words(t.text))
            phrase = Phrase(" ".join(t.text for t in run), run[0].field)
            expanded = _variants(phrase, key, aliases, unquoted=True)
            assert isinstance(expanded, Or)
            out.append(Or((And(tuple(run)), *expanded.children[1:])))
            i += len(run)
        else:
            out.append(_expand(kids[i], aliases))
            i += 1
    return out[0] if len(out) == 1 else And(tuple(out))


def _longest_name(kids: list[Node], start: int, aliases: Aliases) -> list[Term]:
    """Return the longest run of unquoted words from `start` that spells a multi-word name (empty if none)."""
    run: list[Term] = []
    best: list[Term] = []
    key: Key = ()
    for kid in kids[start:]:
        if not _plain(kid) or (run and kid.field != run[0].field):
            break
        run.append(kid)
        key += words(kid.text)
        if len(key) > aliases._longest:
            break
        if len(run) > 1 and aliases.group(key):
            best = list(run)
    return best
