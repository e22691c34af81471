"""What every engine's compiler shares: the walk over a query tree and the highlighting plan.

A query tree means the same on every engine (DESIGN.md §3, §4): unquoted words match their
stems, quoted phrases and proximity their exact words, prefix and fuzzy terms a capped expansion
from the index's own words. `TreeCompiler` walks the tree, writes the notes and the plan (what
the highlighter marks), and asks its subclass to build each part of the engine's query
(`archive.engine.whoosh.compile` for Whoosh, `archive.engine.sphinx.compile` for Sphinx).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from archive.engine.regex import RegexError, WordPattern, regex_words
from archive.engine.whoosh.analysis import exact_words, fold, stemmed_words
from archive.query.tree import And, DateRange, Everything, Near, Node, Not, Or, Phrase, Term, Value

MAX_EXPANSION = 50
MAX_PHRASE_WORDS = 64  # a longer phrase costs much and says little more

Q = TypeVar("Q")  # an engine's query: a Whoosh query object, a SphinxQL MATCH expression


@dataclass(frozen=True)
class Pattern:
    """One thing to find in a text, and the query variant it stands for (its label)."""

    label: str  # as the user (or the aliases file, or an expansion) wrote it
    kind: str  # "stem": a stemmed word; "word": an exact word; "phrase": exact words in order; "near"
    words: tuple[str, ...]
    slop: int = 0  # phrases: other words allowed between each word and the next; near: the distance
    # near: each side's alternatives (each a tuple of exact words in order), and whether left comes first
    left: tuple[tuple[str, ...], ...] = ()
    right: tuple[tuple[str, ...], ...] = ()
    ordered: bool = False


@dataclass
class Plan:
    """What to look for in a text to mark a query's matches (the query's positive leaves)."""

    patterns: set[Pattern] = field(default_factory=set)

    def add(self, label: str, kind: str, words: tuple[str, ...], slop: int = 0,
            left: tuple[tuple[str, ...], ...] = (), right: tuple[tuple[str, ...], ...] = (),
            ordered: bool = False) -> None:
        """Add a pattern (left, right and ordered: the sides of a proximity pattern)."""
        self.patterns.add(Pattern(label, kind, words, slop, left, right, ordered))


class TreeCompiler(Generic[Q]):
    """Walk a query tree; subclasses build the engine's query from its parts."""

    def __init__(self) -> None:
        self.body, self.title = Plan(), Plan()
        self.notes: list[str] = []
        self.partial = False
        self.expansions: dict[str, list[str]] = {}

    # -- what an engine builds ------------------------------------------------------------

    def nothing(self) -> Q:
        """Return a query no document matches."""
        raise NotImplementedError

    def everything(self) -> Q:
        """Return a query every document matches."""
        raise NotImplementedError

    def value(self, fieldname: str, value: str) -> Q:
        """Return a query for an exact metadata value (already spaced and cased as indexed)."""
        raise NotImplementedError

    def dates(self, start: str, end: str) -> Q:
        """Return a query for documents dated from `start` to `end` ("" is open)."""
        raise NotImplementedError

    def negate(self, query: Q) -> Q:
        """Return a query for the documents the query does not match."""
        raise NotImplementedError

    def any_of(self, queries: list[Q]) -> Q:
        """Return a query for documents matching any of one or more queries."""
        raise NotImplementedError

    def all_of(self, queries: list[Q]) -> Q:
        """Return a query for documents matching all of one or more queries."""
        raise NotImplementedError

    def but_not(self, base: Q | None, excluded: list[Q]) -> Q:
        """Return `base` (every document when None) without the documents of any excluded query."""
        raise NotImplementedError

    def stem(self, stem: str, fieldname: str) -> Q:
        """Return a query for a stemmed word in the field ("" is title and body)."""
        raise NotImplementedError

    def words(self, words: list[str], fieldname: str, slop: int) -> Q:
        """Return a query for one exact word, or exact words in order with `slop` others between each."""
        raise NotImplementedError

    def one_of_words(self, words: list[str], fieldname: str) -> Q:
        """Return a query for any of these exact words (a prefix or fuzzy expansion)."""
        raise NotImplementedError

    def near(self, left: list[tuple[str, ...]], right: list[tuple[str, ...]], fieldname: str, distance: int,
             ordered: bool) -> Q:
        """Return a query for an alternative of `left` and one of `right` at most `distance` positions apart.

        Each alternative is a tuple of exact words (a phrase when longer than one). The distance is
        from the end of one to the start of the other (1: adjacent); `ordered`: left first.
        """
        raise NotImplementedError

    def _vocabulary(self, word: str, node: Term) -> list[str]:
        """Return the indexed words a prefix or fuzzy term stands for, capped (notes and `partial` set)."""
        raise NotImplementedError

    def _words_matching(self, pattern: WordPattern, node: Term) -> list[str]:
        """Return the indexed words a compiled regular expression matches in full, capped."""
        raise NotImplementedError

    # -- the walk -------------------------------------------------------------------------

    def _node(self, node: Node, negated: bool) -> Q | None:  # noqa: PLR0911
        if isinstance(node, Term):
            return self._term(node, negated)
        if isinstance(node, Phrase):
            return self._phrase(node.text, node.field, node.slop, negated)
        if isinstance(node, Near):
            return self._near(node, negated)
        if isinstance(node, Value):
            value = " ".join(node.value.split())
            return self.value(node.field, value if node.field == "collection" else value.lower())
        if isinstance(node, DateRange):
            return self.dates(node.start, node.end)
        if isinstance(node, Everything):
            return self.everything()
        if isinstance(node, Not):
            inner = self._node(node.child, negated=not negated)
            return self.negate(inner) if inner is not None else None
        if isinstance(node, And):
            return self._and(node, negated)
        if isinstance(node, Or):
            parts = [p for p in (self._node(c, negated) for c in node.children) if p is not None]
            return self.any_of(parts) if parts else None
        raise TypeError(f"unknown query node {node!r}")

    def _and(self, node: And, negated: bool) -> Q | None:
        pos, neg = [], []
        for child in node.children:
            if isinstance(child, Not):
                q = self._node(child.child, negated=not negated)
                if q is not None:
                    neg.append(q)
            else:
                q = self._node(child, negated)
                if q is not None:
                    pos.append(q)
        base = self.all_of(pos) if pos else None
        if not neg:
            return base
        return self.but_not(base, neg)

    def _plans(self, fieldname: str, negated: bool) -> list[Plan]:
        if negated:
            return []
        return [self.title] if fieldname == "title" else [self.body, self.title]

    def _term(self, node: Term, negated: bool) -> Q | None:
        if node.prefix or node.fuzzy or node.regex:
            return self._expand(node, negated)
        exact = exact_words(node.text)
        if not exact:
            self.notes.append(f"'{node.text}' has no letters or digits and was ignored")
            return None
        if len(exact) > 1:
            # "e-mail", "U.S.", a Korean word: its parts must stand together.
            return self._phrase(node.text, node.field, 0, negated)
        stem = stemmed_words(node.text)[0]
        for plan in self._plans(node.field, negated):
            plan.add(node.text, "stem", (stem,))
        return self.stem(stem, node.field)

    def _phrase(self, text: str, fieldname: str, slop: int, negated: bool) -> Q | None:
        words = exact_words(text)
        if not words:
            self.notes.append(f'"{text}" has no letters or digits and was ignored')
            return None
        if len(words) > MAX_PHRASE_WORDS:
            self.notes.append(f"only the first {MAX_PHRASE_WORDS} words of a phrase were used")
            words = words[:MAX_PHRASE_WORDS]
        for plan in self._plans(fieldname, negated):
            plan.add(text, "word" if len(words) == 1 else "phrase", tuple(words), slop)
        return self.words(words, fieldname, slop)

    def _near(self, node: Near, negated: bool) -> Q | None:
        sides = [self._alternatives(node.left), self._alternatives(node.right)]
        if sides[0] is None or sides[1] is None:  # a side with nothing searchable
            return None
        if not sides[0] or not sides[1]:  # an expansion that found no words
            return self.nothing()
        fields = {leaf.field for leaf in _leaves(node)}
        fieldname = "title" if "title" in fields else ""
        left, right = tuple(dict.fromkeys(sides[0])), tuple(dict.fromkeys(sides[1]))
        for plan in self._plans(fieldname, negated):
            plan.add(node.describe(), "near", (), node.distance, left=left, right=right, ordered=node.ordered)
        return self.near(list(left), list(right), fieldname, node.distance, node.ordered)

    def _alternatives(self, node: object) -> list[tuple[str, ...]] | None:
        """Return the exact word sequences one side of a proximity stands for (None: nothing to search)."""
        if isinstance(node, Or):
            found = [self._alternatives(c) for c in node.children]
            kept = [a for f in found if f is not None for a in f]
            return kept if any(f is not None for f in found) else None
        if isinstance(node, Term) and (node.prefix or node.fuzzy or node.regex):
            terms = self._expansion(node)
            return None if terms is None else [(t,) for t in terms]
        text = node.text if isinstance(node, (Term, Phrase)) else ""
        words = exact_words(text)
        if not words:
            self.notes.append(f"'{text}' has no letters or digits and was ignored")
            return None
        if isinstance(node, Phrase) and node.slop:
            self.notes.append(f"{node.describe()}: inside w/N and pre/N a phrase is exact; ~{node.slop} was ignored")
        return [tuple(words[:MAX_PHRASE_WORDS])]

    def _expansion(self, node: Term) -> list[str] | None:
        """Return the words a prefix, fuzzy or regex term expands to ([] if none; None if not searchable)."""
        if node.regex:
            try:
                terms = self._words_matching(regex_words(node.text), node)
            except RegexError as exc:
                self.notes.append(f"'{node.describe()}' was ignored: {exc}")
                return None
            self.expansions[node.describe()] = terms
            return terms
        words = exact_words(node.text)
        if len(words) != 1:
            return None
        terms = self._vocabulary(fold(words[0]), node)
        self.expansions[node.describe()] = terms
        return terms

    def _expand(self, node: Term, negated: bool) -> Q | None:
        words = exact_words(node.text)
        if not node.regex and len(words) != 1:
            self.notes.append(f"'{node.describe()}': prefix and fuzzy search take one word; searched as written")
            return self._phrase(node.text, node.field, 0, negated) if words else None
        terms = self._expansion(node)
        if terms is None:
            return None
        if not terms:
            return self.nothing()
        for plan in self._plans(node.field, negated):
            for t in terms:
                plan.add(t, "word", (t,))
        return self.one_of_words(terms, node.field)

    def _distance(self, word: str, node: Term) -> int:
        """Return the edit distance to use: short words allow fewer edits (as Lucene's AUTO)."""
        most = 0 if len(word) <= 2 else (1 if len(word) <= 5 else 2)
        if node.fuzzy > most:
            letters, edits = ("letter" if len(word) == 1 else "letters"), ("edit" if most == 1 else "edits")
            self.notes.append(f"'{node.describe()}': a word of {len(word)} {letters} allows at most {most} {edits}")
        return min(node.fuzzy, most)

    def _capped(self, found: list[str], node: Term, frequency: Callable[[str], float]) -> list[str]:
        """Return at most MAX_EXPANSION words, the most frequent (by `frequency(word)`), noting the cap."""
        if len(found) > MAX_EXPANSION:
            found = sorted(found, key=lambda t: -frequency(t))
            self.notes.append(f"'{node.describe()}' matches {len(found):,} words; "
                              f"the {MAX_EXPANSION} most common were used")
            self.partial = True
            found = found[:MAX_EXPANSION]
        return found


def _leaves(node: object) -> list:
    if isinstance(node, Near):
        return _leaves(node.left) + _leaves(node.right)
    if isinstance(node, Or):
        return [leaf for c in node.children for leaf in _leaves(c)]
    return [node]
