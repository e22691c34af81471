"""The query tree: what a user's query means, independent of any search engine.

The parser builds it; each engine compiles it (DESIGN.md §4). `describe()` renders the tree back as
text so users see how their query was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fields a user may name in a query, and what they search.
TEXT_FIELDS = ("title",)  # fields with words and phrases ("" means title and body)
KEY_FIELDS = ("source", "lang", "collection", "year", "format", "from", "to", "topic", "place")  # exact values
DATE_FIELD = "date"
FIELD_ALIASES = {"language": "lang", "site": "source", "intitle": "title", "topics": "topic", "places": "place",
                 "cc": "to"}


@dataclass(frozen=True)
class Term:
    """A word: stemmed; `prefix` for econom*, `fuzzy` edit distance for word~, `regex` for /colou?r/."""

    text: str
    field: str = ""
    prefix: bool = False
    fuzzy: int = 0
    regex: bool = False

    def describe(self) -> str:
        if self.regex:
            out = f"/{self.text}/"
        else:
            out = self.text + ("*" if self.prefix else "") + (f"~{self.fuzzy}" if self.fuzzy else "")
        return f"{self.field}:{out}" if self.field else out


@dataclass(frozen=True)
class Phrase:
    """Words in this order, as written; `slop` > 0 allows that many other words between each."""

    text: str
    field: str = ""
    slop: int = 0

    def describe(self) -> str:
        out = f'"{self.text}"' + (f"~{self.slop}" if self.slop else "")
        return f"{self.field}:{out}" if self.field else out


@dataclass(frozen=True)
class Near:
    """Two parts at most `distance` words apart: in either order (`a w/N b`), or `left` first (`a pre/N b`).

    Each part is a word, a prefix, fuzzy or regex term, a phrase, or an OR of these; words match
    as written (as in a phrase). The distance counts positions from the end of one part to the
    start of the other: `w/1` is adjacent.
    """

    left: Node
    right: Node
    distance: int
    ordered: bool = False

    def describe(self) -> str:
        op = "pre" if self.ordered else "w"
        return f"{_wrap(self.left)} {op}/{self.distance} {_wrap(self.right)}"


@dataclass(frozen=True)
class Value:
    """An exact metadata value: source:"Harbour Gazette", lang:ko."""

    field: str
    value: str

    def describe(self) -> str:
        v = f'"{self.value}"' if " " in self.value else self.value
        return f"{self.field}:{v}"


@dataclass(frozen=True)
class DateRange:
    """Documents dated from `start` to `end` inclusive (ISO dates; "" is open)."""

    start: str = ""
    end: str = ""

    def describe(self) -> str:
        return f"date:{self.start or '*'}..{self.end or '*'}"


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        return " AND ".join(_wrap(c) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        return " OR ".join(_wrap(c) for c in self.children)


@dataclass(frozen=True)
class Not:
    child: Node

    def describe(self) -> str:
        return f"NOT {_wrap(self.child)}"


@dataclass(frozen=True)
class Everything:
    """Every document (a query of only exclusions or filters starts from here)."""

    def describe(self) -> str:
        return "*"


Node = Term | Phrase | Near | Value | DateRange | And | Or | Not | Everything


def _wrap(node: Node) -> str:
    text = node.describe()
    return f"({text})" if isinstance(node, (And, Or, Near)) else text


def positive_leaves(node: object) -> list[Term | Phrase]:
    """Return the words and phrases a document must or may contain (not those under NOT)."""
    if isinstance(node, (Term, Phrase)):
        return [node]
    if isinstance(node, (And, Or)):
        return [leaf for c in node.children for leaf in positive_leaves(c)]
    if isinstance(node, Near):
        return positive_leaves(node.left) + positive_leaves(node.right)
    return []
