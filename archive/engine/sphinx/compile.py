"""Compile a query tree into a SphinxQL `MATCH()` expression with the Whoosh engine's meaning.

- Unquoted words search the stemmed fields (`title_stem`, `body_stem`); quoted phrases,
  proximity, prefixes and fuzzy terms the exact fields (`title`, `body`), as in DESIGN.md §3.
- Prefix and fuzzy terms expand to at most 50 words, the most frequent first, from the words the
  cluster holds (candidates from the archive's vocabulary, frequencies from the engine's own
  dictionary via `CALL KEYWORDS`); a capped expansion makes the result `partial`.
- Metadata values and dates are tokens of the `keys` field, so they combine with words under
  AND, OR and NOT; a date range becomes the year, month and day tokens that cover it.

The tree walk, notes and highlighting plan are shared with the Whoosh compiler (`archive/engine/plan.py`),
so snippets are marked the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from archive.engine.plan import Plan, TreeCompiler
from archive.engine.regex import WordPattern
from archive.engine.sphinx.tokens import EVERYTHING, NOTHING, date_tokens, encode, hash_token, stem_word, value_token
from archive.query.tree import Node, Term
from archive.query.words import plain

# (folded word, edit distance, prefix?) -> {word: document frequency}
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


class Compiler(TreeCompiler[str]):
    """Compile one tree; `expand(word, distance, prefix)` looks words up in the cluster."""

    def __init__(self, expand: Expander, regex: Callable[[WordPattern], dict[str, int]] | None = None):
        super().__init__()
        self.expand = expand
        self.regex = regex

    def compile(self, tree: Node) -> Compiled:
        m = self._node(tree, negated=False)
        return Compiled(m or "", self.body, self.title, self.notes, self.partial, self.expansions)

    def nothing(self) -> str:
        return f"(@keys {NOTHING})"

    def everything(self) -> str:
        return f"(@keys {EVERYTHING})"

    def value(self, fieldname: str, value: str) -> str:
        if fieldname == "content_hash":  # every copy of one text (the texts of marked documents)
            return f"(@keys {hash_token(value)})"
        return f"(@keys {value_token(fieldname, value)})"

    def dates(self, start: str, end: str) -> str:
        return _date_range(start or EARLIEST, end or LATEST)

    def negate(self, query: str) -> str:
        return f"(@keys {EVERYTHING} -{query})"

    def any_of(self, queries: list[str]) -> str:
        return _group(" | ", queries)

    def all_of(self, queries: list[str]) -> str:
        return _group(" ", queries)

    def but_not(self, base: str | None, excluded: list[str]) -> str:
        return f"({base or self.everything()} " + " ".join(f"-{n}" for n in excluded) + ")"

    def stem(self, stem: str, fieldname: str) -> str:
        return f"({_fields(fieldname, False)} {stem_word(stem)})"

    def words(self, words: list[str], fieldname: str, slop: int) -> str:
        fields = _fields(fieldname, True)
        words = [plain(w) or w for w in words]  # the cluster holds possessives as plain words (checked later)
        if len(words) == 1:
            return f"({fields} {encode(words[0])})"
        quoted = '"' + " ".join(encode(w) for w in words) + '"'
        if not slop:
            return f"({fields} {quoted})"
        # The archive allows `slop` words between each word and the next, in order. Sphinx's
        # proximity bounds the span of all the words, in any order: a span of at most
        # (n-1)(slop+1)+1 words, plus the order operator, which another occurrence of the words
        # may satisfy. A superset of the archive's matches: the engine checks the candidates (proximity.py).
        ordered = " << ".join(encode(w) for w in words)
        return f"({fields} ({quoted}~{slop * (len(words) - 1) + 1} ({ordered})))"

    def one_of_words(self, words: list[str], fieldname: str) -> str:
        return f"({_fields(fieldname, True)} " + _group(" | ", [encode(t) for t in words]) + ")"

    def near(self, left: list[tuple[str, ...]], right: list[tuple[str, ...]], fieldname: str, distance: int,
             ordered: bool) -> str:
        # Both sides present: a superset; the engine checks the distance on the candidates (proximity.py).
        sides = [self.any_of([self.words(list(a), fieldname, 0) for a in alts]) for alts in (left, right)]
        return self.all_of(sides)

    def _words_matching(self, pattern: WordPattern, node: Term) -> list[str]:
        found = self.regex(pattern) if self.regex is not None else {}
        return sorted(self._capped(sorted(found), node, lambda t: found[t]))

    def _vocabulary(self, word: str, node: Term) -> list[str]:
        distance = self._distance(word, node) if node.fuzzy else 0
        found = self.expand(word, distance, node.prefix)
        return sorted(self._capped(sorted(found), node, lambda t: found[t]))


def _fields(fieldname: str, exact: bool) -> str:
    names = ["title"] if fieldname == "title" else ["title", "body"]
    return "@(" + ",".join(n if exact else n + "_stem" for n in names) + ")"


def _group(sep: str, parts: list[str]) -> str:
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
