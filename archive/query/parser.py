"""Parse the query language into a query tree; never fail silently, never raise on odd input.

Syntax: words are ANDed; `OR`, `NOT`, `-word`, parentheses; `"exact phrase"`, `"a b"~N` (in
this order); `a w/N b` (either order), `a pre/N b` (a first); `econom*`; `word~` / `word~2`;
`/regex/`; `title:`, `source:`, `lang:`, `collection:`; `date:2021`,
`date:2020-01-01..2020-06-30`, `date:>=2019`. Anything the parser has to skip or repair is
reported in `notes`, and the tree shows how the query was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from archive.errors import BadQuery
from archive.query.tree import (
    FIELD_ALIASES,
    KEY_FIELDS,
    TEXT_FIELDS,
    And,
    DateRange,
    Everything,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    Value,
)

MAX_QUERY_CHARS = 2000
MARK_FIELDS = ("tag", "has")  # a researcher's marks: tag:NAME, has:note (archive/marks/search.py)
KNOWN_FIELDS = (*TEXT_FIELDS, *KEY_FIELDS, *MARK_FIELDS, "date")
MAX_CLAUSES = 64
MAX_DEPTH = 30
MAX_DISTANCE = 100
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_LEX = re.compile(
    r"""(?P<space>\s+)
      | (?P<open>\()
      | (?P<close>\))
      | (?P<regex>/(?P<rtext>(?:[^/\\\s]|\\.)+)/)(?=[\s)]|$)
      | (?P<near>(?i:w|pre)/(?P<dist>\d+))(?=[\s("]|$)
      | (?P<neg>-(?=["(]))
      | (?P<phrase>"(?P<ptext>[^"]*)(?:"(?:~(?P<slop>\d+))?|$))
      | (?P<bare>[A-Za-z]+:)(?=[\s)]|$)
      | (?P<field>(?P<fname>[A-Za-z]+):(?=\S))
      | (?P<word>[^\s()"]+)""",
    re.VERBOSE,
)


@dataclass
class ParsedQuery:
    """The tree of a query and notes on anything that had to be skipped or repaired."""

    tree: Node
    notes: list[str] = field(default_factory=list)


@dataclass
class _Tok:
    kind: str  # open, close, phrase, field, word
    text: str
    slop: int = 0


def parse(query: str) -> ParsedQuery:
    """Parse a query string. Raise `BadQuery` only when nothing searchable is left."""
    notes: list[str] = []
    query = query.translate(_QUOTES)
    if len(query) > MAX_QUERY_CHARS:
        notes.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
        query = query[:MAX_QUERY_CHARS]
    parser = _Parser(_lex(query), notes)
    tree = parser.parse()
    if tree is None:
        raise BadQuery("There is nothing to search for in this query." + _notes_suffix(notes))
    return ParsedQuery(_finish(tree), notes)


def _notes_suffix(notes: list[str]) -> str:
    return (" (" + "; ".join(notes) + ")") if notes else ""


def _lex(query: str) -> list[_Tok]:
    toks = []
    for m in _LEX.finditer(query):
        kind = m.lastgroup
        if kind == "space":
            continue
        if m.group("phrase") is not None:
            toks.append(_Tok("phrase", m.group("ptext"), int(m.group("slop") or 0)))
        elif m.group("regex") is not None:
            toks.append(_Tok("regex", m.group("rtext")))
        elif m.group("near") is not None:
            toks.append(_Tok("near", m.group("near").split("/")[0].lower(), int(m.group("dist"))))
        elif m.group("field") is not None:
            toks.append(_Tok("field", m.group("fname").lower()))
        else:
            toks.append(_Tok(kind or "word", m.group(0)))
    return toks


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*; and_expr := unary+; unary := NOT unary | primary."""

    def __init__(self, toks: list[_Tok], notes: list[str]):
        self.toks, self.i, self.notes, self.depth, self.clauses = toks, 0, notes, 0, 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def at(self, kind: str) -> bool:
        """Return True when the next token is of this kind."""
        tok = self.peek()
        return tok is not None and tok.kind == kind

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        parts = []
        while self.peek() is not None:
            node = self.or_expr()
            if node is not None:
                parts.append(node)
            tok = self.peek()
            if tok is not None and tok.kind == "close":
                self.take()
                self.notes.append("an unmatched ')' was ignored")
        return _and(parts)

    def or_expr(self) -> Node | None:
        options = [self.and_expr()]
        while self._is_op("OR"):
            self.take()
            if self.peek() is None or self.at("close"):
                self.notes.append("'OR' at the end was ignored")
                break
            options.append(self.and_expr())
        kept = [o for o in options if o is not None]
        if len(kept) < len(options) and len(kept) > 0 and len(options) > 1:
            self.notes.append("an empty side of 'OR' was ignored")
        return kept[0] if len(kept) == 1 else (Or(tuple(kept)) if kept else None)

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind == "close" or self._is_op("OR"):
                break
            if self._is_op("AND"):
                self.take()
                continue
            if tok.kind == "near":
                self.take()
                self.notes.append(f"'{tok.text}/{tok.slop}' needs something on each side and was ignored")
                continue
            node = self.unary()
            while node is not None and self.at("near"):
                node = self.near(node, parts)
            if node is not None:
                parts.append(node)
        return _and(parts)

    def near(self, left: Node, parts: list[Node]) -> Node | None:
        """Read `left w/N right` (or pre/N); a chain `a w/5 b w/5 c` is read as (a w/5 b) AND (b w/5 c)."""
        op = self.take()
        nxt = self.peek()
        if nxt is None or nxt.kind in ("close", "near") or self._is_op("OR"):
            self.notes.append(f"'{op.text}/{op.slop}' with nothing after it was ignored")
            return left
        right = self.unary()
        if right is None:
            return left
        distance = op.slop
        if distance < 1 or distance > MAX_DISTANCE:
            distance = max(1, min(distance, MAX_DISTANCE))
            self.notes.append(f"'{op.text}/{op.slop}': the distance is from 1 to {MAX_DISTANCE}; {distance} was used")
        first = left.right if isinstance(left, Near) else left
        if isinstance(left, Near):
            parts.append(left)
        if not (_near_part(first) and _near_part(right)):
            self.notes.append(f"'{op.text}/{op.slop}' takes a word, a phrase or (a OR b) on each side; "
                              "the two sides were searched with AND")
            return And((first, right)) if not isinstance(left, Near) else right
        return Near(first, right, distance, ordered=op.text == "pre")

    def unary(self) -> Node | None:
        tok = self.peek()
        assert tok is not None
        negate = self._is_op("NOT") or (tok.kind == "word" and tok.text.startswith("-") and len(tok.text) > 1)
        if self._is_op("NOT") or tok.kind == "neg":
            self.take()
            if self.peek() is None or self.at("close"):
                self.notes.append("'NOT' with nothing after it was ignored")
                return None
            child = self.unary()
            return Not(child) if child is not None else None
        if negate:
            tok.text = tok.text[1:]
            child = self.primary()
            return Not(child) if child is not None else None
        return self.primary()

    def primary(self) -> Node | None:
        tok = self.take()
        if tok.kind == "open":
            if self.depth >= MAX_DEPTH:
                # Deeper nesting adds no meaning a researcher needs; read the words flat.
                if "parentheses nested too deeply were flattened" not in self.notes:
                    self.notes.append("parentheses nested too deeply were flattened")
                return None
            self.depth += 1
            inner = self.or_expr()
            self.depth -= 1
            if self.at("close"):
                self.take()
            elif "a missing ')' was assumed at the end" not in self.notes:
                self.notes.append("a missing ')' was assumed at the end")
            return inner
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            if self.clauses == MAX_CLAUSES + 1:
                self.notes.append(f"only the first {MAX_CLAUSES} words and phrases were used")
            return None
        if tok.kind == "bare":
            return self.bare_field(tok.text)
        if tok.kind == "field":
            return self.fielded(tok.text)
        if tok.kind == "phrase":
            return _phrase(tok, "", self.notes)
        if tok.kind == "regex":
            return Term(tok.text, "", regex=True)
        return _word(tok.text, "", self.notes)

    def bare_field(self, text: str) -> Node | None:
        """Read `title:` followed by nothing: a note for a known field, else the word itself."""
        name = FIELD_ALIASES.get(text[:-1].lower(), text[:-1].lower())
        if name in KNOWN_FIELDS:
            self.notes.append(f"'{text}' with no value after it was ignored")
            return None
        return _word(text, "", self.notes)

    def fielded(self, name: str) -> Node | None:
        name = FIELD_ALIASES.get(name, name)
        value = self.peek()
        if value is not None and value.kind == "open" and name in KNOWN_FIELDS:
            group = self.primary()  # title:(oil OR gas) applies the field to every word inside
            return _in_field(group, name, self.notes) if group is not None else None
        if value is None or value.kind not in ("word", "phrase", "regex"):
            self.notes.append(f"'{name}:' with no value after it was ignored")
            return None
        self.take()
        if value.kind == "regex":
            if name in TEXT_FIELDS:
                return Term(value.text, name, regex=True)
            self.notes.append(f"'{name}:' takes no regular expression; '/{value.text}/' was searched in the text")
            return Term(value.text, "", regex=True)
        if name in TEXT_FIELDS:
            return _phrase(value, name, self.notes) if value.kind == "phrase" else _word(value.text, name, self.notes)
        if name == "date" or name == "year":
            return _date(value.text, self.notes)
        if name in KEY_FIELDS or name in MARK_FIELDS:
            return Value(name, value.text.strip())
        # Not a field we know: search the text as written ("note:", "3:30").
        text = f"{name}:{value.text}"
        return _phrase(_Tok("phrase", text), "", self.notes) if value.kind == "phrase" else _word(text, "", self.notes)

    def _is_op(self, op: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text == op


def _near_part(node: Node) -> bool:
    """Return True for what a side of w/N or pre/N may be: words, phrases, and ORs of them."""
    if isinstance(node, Or):
        return all(_near_part(c) for c in node.children)
    return isinstance(node, (Term, Phrase))


def _in_field(node: Node, name: str, notes: list[str]) -> Node | None:
    """Apply a field to the words and phrases of a group: title:(a OR "b c")."""
    if isinstance(node, (And, Or)):
        kids = [k for k in (_in_field(c, name, notes) for c in node.children) if k is not None]
        if isinstance(node, And):
            return _and(kids)
        return Or(tuple(kids)) if len(kids) > 1 else (kids[0] if kids else None)
    if isinstance(node, Not):
        child = _in_field(node.child, name, notes)
        return Not(child) if child is not None else None
    if isinstance(node, Near) and name in TEXT_FIELDS:
        left, right = _in_field(node.left, name, notes), _in_field(node.right, name, notes)
        return replace(node, left=left, right=right) if left is not None and right is not None else None
    if not isinstance(node, (Term, Phrase)) or node.field:
        return node
    if name in TEXT_FIELDS:
        return replace(node, field=name)
    if name in ("date", "year"):
        return _date(node.text, notes)
    return Value(name, node.text)


def _and(parts: list[Node]) -> Node | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _word(text: str, fieldname: str, notes: list[str]) -> Node | None:
    if text.lstrip("+") != text:
        text = text.lstrip("+")
    if text in ("*", "**"):
        return Everything()
    m = re.fullmatch(r"(.+?)~(\d?)", text)
    if m and not m.group(1).endswith("~"):
        distance = int(m.group(2) or 1)
        if distance > 2:
            notes.append(f"'{text}': fuzzy distance is at most 2")
            distance = 2
        return Term(m.group(1), fieldname, fuzzy=distance) if distance else Term(m.group(1), fieldname)
    if text.endswith("*") and len(text.rstrip("*")) > 0:
        return Term(text.rstrip("*"), fieldname, prefix=True)
    return Term(text, fieldname) if text else None


def _phrase(tok: _Tok, fieldname: str, notes: list[str]) -> Node | None:
    text = " ".join(tok.text.split())
    if not text:
        notes.append('an empty pair of quotes was ignored')
        return None
    return Phrase(text, fieldname, min(tok.slop, 100))


_DAY = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"


def date_range(text: str) -> DateRange | None:
    """Return the node `date:<text>` reads as (2021, 2021-03, A..B, >=2019), or None when it names no dates."""
    node = _date(text, [])
    return node if isinstance(node, DateRange) else None


def _date(text: str, notes: list[str]) -> Node | None:
    """Read date:2021, date:2021-03, date:A..B, date:>=A, date:<B."""
    m = re.fullmatch(rf"({_DAY})?\.\.({_DAY})?", text)
    if m and (m.group(1) or m.group(2)):
        return DateRange(_bound(m.group(1), low=True), _bound(m.group(2), low=False))
    m = re.fullmatch(rf"(>=|<=|>|<)({_DAY})", text)
    if m:
        op, value = m.groups()
        if op == ">=":
            return DateRange(_bound(value, True), "")
        if op == "<=":
            return DateRange("", _bound(value, False))
        if op == ">":
            return DateRange(_after(_bound(value, False)), "")
        return DateRange("", _before(_bound(value, True)))
    if re.fullmatch(_DAY, text):
        return DateRange(_bound(text, True), _bound(text, False))
    notes.append(f"'date:{text}' was not understood (try date:2021, date:2020-01-01..2020-06-30 or date:>=2019)")
    return None


def _bound(value: str | None, low: bool) -> str:
    if not value:
        return ""
    parts = value.split("-")
    y = parts[0]
    m = int(parts[1]) if len(parts) > 1 else (1 if low else 12)
    if len(parts) > 2:
        d = int(parts[2])
    else:
        d = 1 if low else _month_end(int(y), m)
    return f"{y}-{m:02d}-{d:02d}"


def _month_end(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, max(1, min(12, month)))[1]


def _after(day: str) -> str:
    from datetime import date, timedelta

    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError:
        return day


def _before(day: str) -> str:
    from datetime import date, timedelta

    try:
        return (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    except ValueError:
        return day


def _finish(tree: Node) -> Node:
    """Turn a query of only exclusions into 'everything except'."""
    if isinstance(tree, Not):
        return And((Everything(), tree))
    if isinstance(tree, And) and all(isinstance(c, Not) for c in tree.children):
        return And((Everything(), *tree.children))
    return tree
