"""Filters: the metadata a search is restricted to, kept apart from the words of its query.

The web's facets and the command line's `--source`, `--date` and `--lang` give a `Filters`;
the facade ANDs its nodes with the tree of the user's query, so the query's text, its reading
and its did-you-mean suggestion stay about the user's words. The nodes are the ones the parser
makes for `source:"X"`, `date:2021` and `lang:ko`, so a filtered search finds what the same
clauses written into the query would. `record` writes the filters back as query text, for the
places that keep a search as one line: an export's `query` column, a citation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.errors import BadQuery
from archive.query.aliases import NO_ALIASES, Aliases
from archive.query.parser import date_range, parse
from archive.query.tree import And, Everything, Node, Not, Or, Value


@dataclass(frozen=True)
class Filters:
    """Sources, dates and languages a search keeps to; empty fields restrict nothing.

    A document must be from one of `sources` and in one of `langs` (when any are given), and
    dated within every one of `dates`: each a value as after `date:` (2021, 2021-03,
    2020-01-01..2020-06-30, >=2019), so a year and a month can both hold.
    """

    sources: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # a researcher's tags (archive/marks/): each must hold

    def __post_init__(self) -> None:
        for name in ("sources", "dates", "langs", "tags"):
            kept = tuple(v for v in (" ".join(str(v).split()) for v in getattr(self, name)) if v)
            object.__setattr__(self, name, kept)
        for value in self.dates:
            if date_range(value) is None:
                raise BadQuery(f"'{value}' is not a date filter (try 2021, 2021-03, "
                               "2020-01-01..2020-06-30 or >=2019)")

    def __bool__(self) -> bool:
        return bool(self.sources or self.dates or self.langs or self.tags)

    def nodes(self) -> list[Node]:
        """Return one query node per restriction, in the order source, dates, language, tags."""
        out: list[Node] = []
        if self.sources:
            out.append(_any_of("source", self.sources))
        out += [node for node in map(date_range, self.dates) if node is not None]
        if self.langs:
            out.append(_any_of("lang", self.langs))
        out += [Value("tag", t) for t in self.tags]
        return out

    def restrict(self, tree: Node | None) -> Node:
        """Return the tree ANDed with the filters, filters first (the tree alone when there are none).

        `tree` None (a search of the filters alone) gives the filters' nodes alone. A query of
        only exclusions starts from every document (`-oil` reads as `* AND NOT oil`); with
        filters it starts from theirs instead, as the same clauses written into the query would.
        """
        nodes = self.nodes()
        if nodes and isinstance(tree, And) and _only_exclusions(tree):
            kept = tree.children[1:]
            tree = kept[0] if len(kept) == 1 else And(kept)
        parts = [*nodes, *([tree] if tree is not None else [])]
        if not parts:
            raise BadQuery("There is nothing to search for in this query.")
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def clauses(self) -> list[str]:
        """Return the filters as query-language clauses: source:"X", date:2021, lang:ko."""
        out = []
        if self.sources:
            out.append(_one_of([f'source:"{v}"' for v in self.sources]))
        out += [f"date:{v}" for v in self.dates]
        if self.langs:
            out.append(_one_of([f"lang:{v}" for v in self.langs]))
        out += [f"tag:{v}" for v in self.tags]
        return out

    def record(self, query: str) -> str:
        """Return the search as one line of query text: the filters' clauses, then `(query)`.

        Filters first, so that a long query the parser cuts never loses them.
        """
        clauses = self.clauses()
        if query:
            clauses.append(f"({query})" if clauses else query)
        return " ".join(clauses)


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Composed:
    """What the engine runs for a query and its filters, and what is said about the user's words."""

    tree: Node  # the user's query, aliases expanded, ANDed with the filters
    literal: Node | None  # the same before aliases, when aliases changed it (ranked first)
    words: Node | None  # the user's query as written (None: the filters alone), for suggestions
    interpreted: str  # how the user's query was read ("*" for the filters alone)
    notes: list[str] = field(default_factory=list)  # what the parser skipped or repaired


def compose(query: str, filters: Filters = NO_FILTERS, aliases: Aliases = NO_ALIASES) -> Composed:
    """Parse the user's query, expand its aliases and AND the filters; raise `BadQuery` when nothing is searched.

    A blank query with filters searches the filters alone.
    """
    if filters and not query.strip():
        return Composed(filters.restrict(None), None, None, "*")
    parsed = parse(query)
    expanded = aliases.expand(parsed.tree)
    literal = filters.restrict(parsed.tree) if expanded != parsed.tree else None
    return Composed(filters.restrict(expanded), literal, parsed.tree, expanded.describe(), parsed.notes)


def _only_exclusions(tree: And) -> bool:
    """Return True for the tree the parser makes of exclusions alone: every document, then NOTs."""
    first, *rest = tree.children or (None,)
    return isinstance(first, Everything) and bool(rest) and all(isinstance(c, Not) for c in rest)


def _any_of(field: str, values: tuple[str, ...]) -> Node:
    nodes = tuple(Value(field, v) for v in values)
    return nodes[0] if len(nodes) == 1 else Or(nodes)


def _one_of(clauses: list[str]) -> str:
    return clauses[0] if len(clauses) == 1 else "(" + " OR ".join(clauses) + ")"
