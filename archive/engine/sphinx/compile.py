"""Compile a query tree into a SphinxQL `MATCH()` expression with the Whoosh engine's meaning.

- Unquoted words search the stemmed fields (`title_stem`, `body_stem`); quoted phrases,
  proximity, prefixes and fuzzy terms the exact fields (`title`, `body`), as in DESIGN.md §3.
- Prefix and fuzzy terms expand to at most 50 words, the most frequent first, from the words the
  cluster holds (candidates from the archive's vocabulary, frequencies from the engine's own
  dictionary via `CALL KEYWORDS`); a capped expansion makes the result `partial`.
- Metadata values and dates are tokens of the `keys` field, so they combine with words under
  AND, OR and NOT; a date range becomes the year, month and day tokens that cover it.

The highlighting plan is the Whoosh compiler's (`Plan`), so snippets are marked the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from archive.engine.analysis import exact_words, fold, stemmed_words
from archive.engine.compile import MAX_EXPANSION, MAX_PHRASE_WORDS, Plan
from archive.engine.sphinx.tokens import EVERYTHING, NOTHING, date_tokens, encode, stem_word, value_token
from archive.query.tree import And, DateRange, Everything, Node, Not, Or, Phrase, Term, Value

# (prefix or fuzzy term, its folded word, edit distance) -> {word: document frequency}
Expander = Callable[[str, int, bool], dict[str, int]]
EARLIEST, LATEST = "1800-01-01", "2199-12-31"  # open date ranges are closed here


@dataclass
class Compiled:
    """A MATCH expression (`""` matches nothing) plus what the user should know about it."""

    match: str
    body_plan: Plan
    title_plan: Plan
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    expansions: dict[str, list[str]] = field(default_factory=dict)


class Compiler:
    """Compile one tree; `expand(word, distance, prefix)` looks words up in the cluster."""

    def __init__(self, expand: Expander):
        self.expand = expand
        self.body, self.title = Plan(), Plan()
        self.notes: list[str] = []
        self.partial = False
        self.expansions: dict[str, list[str]] = {}

    def compile(self, tree: Node) -> Compiled:
        m = self._node(tree, negated=False)
        return Compiled(m or "", self.body, self.title, self.notes, self.partial, self.expansions)

    def _node(self, node: Node, negated: bool) -> str | None:  # noqa: PLR0911
        if isinstance(node, Term):
            return self._term(node, negated)
        if isinstance(node, Phrase):
            return self._phrase(node.text, node.field, node.slop, negated)
        if isinstance(node, Value):
            value = " ".join(node.value.split())
            return f"(@keys {value_token(node.field, value if node.field == 'collection' else value.lower())})"
        if isinstance(node, DateRange):
            return _date_range(node.start or EARLIEST, node.end or LATEST)
        if isinstance(node, Everything):
            return f"(@keys {EVERYTHING})"
        if isinstance(node, Not):
            inner = self._node(node.child, negated=not negated)
            return f"(@keys {EVERYTHING} -{inner})" if inner is not None else None
        if isinstance(node, And):
            return self._and(node, negated)
        if isinstance(node, Or):
            parts = [p for p in (self._node(c, negated) for c in node.children) if p is not None]
            return _group(" | ", parts)
        raise TypeError(f"unknown query node {node!r}")

    def _and(self, node: And, negated: bool) -> str | None:
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
        if not pos and not neg:
            return None
        base = _group(" ", pos) if pos else f"(@keys {EVERYTHING})"
        return base if not neg else f"({base} " + " ".join(f"-{n}" for n in neg) + ")"

    def _plans(self, fieldname: str, negated: bool) -> list[Plan]:
        if negated:
            return []
        return [self.title] if fieldname == "title" else [self.body, self.title]

    @staticmethod
    def _fields(fieldname: str, exact: bool) -> str:
        names = ["title"] if fieldname == "title" else ["title", "body"]
        return "@(" + ",".join(n if exact else n + "_stem" for n in names) + ")"

    def _term(self, node: Term, negated: bool) -> str | None:
        if node.prefix or node.fuzzy:
            return self._expand(node, negated)
        exact = exact_words(node.text)
        if not exact:
            self.notes.append(f"'{node.text}' has no letters or digits and was ignored")
            return None
        if len(exact) > 1:  # "e-mail", "U.S.", a Korean word: its parts must stand together
            return self._phrase(node.text, node.field, 0, negated)
        stem = stemmed_words(node.text)[0]
        for plan in self._plans(node.field, negated):
            plan.add(node.text, "stem", (stem,))
        return f"({self._fields(node.field, False)} {stem_word(stem)})"

    def _phrase(self, text: str, fieldname: str, slop: int, negated: bool) -> str | None:
        words = exact_words(text)
        if not words:
            self.notes.append(f'"{text}" has no letters or digits and was ignored')
            return None
        if len(words) > MAX_PHRASE_WORDS:
            self.notes.append(f"only the first {MAX_PHRASE_WORDS} words of a phrase were used")
            words = words[:MAX_PHRASE_WORDS]
        for plan in self._plans(fieldname, negated):
            plan.add(text, "word" if len(words) == 1 else "phrase", tuple(words), slop)
        fields = self._fields(fieldname, True)
        if len(words) == 1:
            return f"({fields} {encode(words[0])})"
        quoted = '"' + " ".join(encode(w) for w in words) + '"'
        if not slop:
            return f"({fields} {quoted})"
        # The archive allows `slop` words between each word and the next, in order. Sphinx's
        # proximity bounds the span of all the words, in any order: a span of at most
        # (n-1)(slop+1)+1 words, plus the order operator. Identical for two words; for more,
        # Sphinx also accepts one wide gap balanced by a narrow one.
        ordered = " << ".join(encode(w) for w in words)
        return f"({fields} ({quoted}~{slop * (len(words) - 1) + 1} ({ordered})))"

    def _expand(self, node: Term, negated: bool) -> str | None:
        words = exact_words(node.text)
        if len(words) != 1:
            self.notes.append(f"'{node.describe()}': prefix and fuzzy search take one word; searched as written")
            return self._phrase(node.text, node.field, 0, negated) if words else None
        word = fold(words[0])
        distance = self._distance(word, node) if node.fuzzy else 0
        found = self.expand(word, distance, node.prefix) if (node.prefix or distance) else self.expand(word, 0, False)
        terms = sorted(found)
        if len(terms) > MAX_EXPANSION:
            self.notes.append(f"'{node.describe()}' matches {len(terms):,} words; the {MAX_EXPANSION} most common were used")
            self.partial = True
            terms = sorted(sorted(terms, key=lambda t: -found[t])[:MAX_EXPANSION])
        self.expansions[node.describe()] = terms
        if not terms:
            return f"(@keys {NOTHING})"  # matches nothing, as Whoosh's NullQuery
        for plan in self._plans(node.field, negated):
            for t in terms:
                plan.add(t, "word", (t,))
        return f"({self._fields(node.field, True)} " + _group(" | ", [encode(t) for t in terms]) + ")"

    def _distance(self, word: str, node: Term) -> int:
        """Return the edit distance to use: short words allow fewer edits (as Lucene's AUTO)."""
        most = 0 if len(word) <= 2 else (1 if len(word) <= 5 else 2)
        if node.fuzzy > most:
            letters, edits = ("letter" if len(word) == 1 else "letters"), ("edit" if most == 1 else "edits")
            self.notes.append(f"'{node.describe()}': a word of {len(word)} {letters} allows at most {most} {edits}")
        return min(node.fuzzy, most)


def _group(sep: str, parts: list[str]) -> str | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + sep.join(parts) + ")"


def _date_range(start: str, end: str) -> str:
    """Return the date tokens covering [start, end]: whole years, then whole months, then days."""
    try:
        a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        return f"(@keys {NOTHING})"
    tokens: list[str] = []
    while a <= b:
        year_end = dt.date(a.year, 12, 31)
        next_month = dt.date(a.year + (a.month == 12), a.month % 12 + 1, 1)
        if a.month == 1 and a.day == 1 and year_end <= b:
            tokens.append(date_tokens(a.isoformat())[0])
            a = year_end + dt.timedelta(days=1)
        elif a.day == 1 and next_month - dt.timedelta(days=1) <= b:
            tokens.append(date_tokens(a.isoformat())[1])
            a = next_month
        else:
            tokens.append(date_tokens(a.isoformat())[2])
            a += dt.timedelta(days=1)
    if not tokens:
        return f"(@keys {NOTHING})"
    return "(@keys " + _group(" | ", tokens) + ")"
