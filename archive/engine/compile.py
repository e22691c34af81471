"""Compile a query tree into a Whoosh query, and into a plan for finding its matches in a text.

Unquoted words search the stemmed fields; quoted phrases, proximity, prefixes and fuzzy terms
search the exact fields (DESIGN.md §3). Prefix and fuzzy terms expand from the index's own
vocabulary, capped so `a*` cannot run away; a capped expansion makes the result `partial`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.reading import IndexReader

from archive.engine.analysis import exact_words, fold, stemmed_words
from archive.engine.vocab import vocabulary
from archive.query.tree import And, DateRange, Everything, Node, Not, Or, Phrase, Term, Value

# Query fields whose index field has another name (e-mail addresses and names, Reuters codes).
VALUE_FIELDS = {"from": "sender", "to": "recipients", "topic": "topics", "place": "places"}
MAX_EXPANSION = 50
MAX_PHRASE_WORDS = 64  # a longer phrase costs much and says little more


@dataclass(frozen=True)
class Pattern:
    """One thing to find in a text, and the query variant it stands for (its label)."""

    label: str  # as the user (or the aliases file, or an expansion) wrote it
    kind: str  # "stem": a stemmed word; "word": an exact word; "phrase": exact words in order
    words: tuple[str, ...]
    slop: int = 0  # phrases: other words allowed between each word and the next


@dataclass
class Plan:
    """What to look for in a text to mark a query's matches (the query's positive leaves)."""

    patterns: set[Pattern] = field(default_factory=set)

    def add(self, label: str, kind: str, words: tuple[str, ...], slop: int = 0) -> None:
        """Add a pattern."""
        self.patterns.add(Pattern(label, kind, words, slop))


@dataclass
class Compiled:
    """A Whoosh query plus what the user should know about how it was run."""

    query: wq.Query
    body_plan: Plan
    title_plan: Plan
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    expansions: dict[str, list[str]] = field(default_factory=dict)


class Compiler:
    """Compile one tree against one index reader (expansions read its vocabulary)."""

    def __init__(self, reader: IndexReader):
        self.reader = reader
        self.body, self.title = Plan(), Plan()
        self.notes: list[str] = []
        self.partial = False
        self.expansions: dict[str, list[str]] = {}

    def compile(self, tree: Node) -> Compiled:
        q = self._node(tree, negated=False)
        if q is None:
            q = wq.NullQuery
        return Compiled(q, self.body, self.title, self.notes, self.partial, self.expansions)

    def _node(self, node: Node, negated: bool) -> wq.Query | None:  # noqa: PLR0911
        if isinstance(node, Term):
            return self._term(node, negated)
        if isinstance(node, Phrase):
            return self._phrase(node.text, node.field, node.slop, negated)
        if isinstance(node, Value):
            value = " ".join(node.value.split())
            field_name = VALUE_FIELDS.get(node.field, node.field)
            return wq.Term(field_name, value if node.field == "collection" else value.lower())
        if isinstance(node, DateRange):
            return wq.TermRange("date", node.start or "0000", node.end or "9999")
        if isinstance(node, Everything):
            return wq.Every()
        if isinstance(node, Not):
            inner = self._node(node.child, negated=not negated)
            return wq.Not(inner) if inner is not None else None
        if isinstance(node, And):
            return self._and(node, negated)
        if isinstance(node, Or):
            parts = [p for p in (self._node(c, negated) for c in node.children) if p is not None]
            return wq.Or(parts) if len(parts) > 1 else (parts[0] if parts else None)
        raise TypeError(f"unknown query node {node!r}")

    def _and(self, node: And, negated: bool) -> wq.Query | None:
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
        if not pos:
            return wq.Not(wq.Or(neg)) if neg else None
        base = wq.And(pos) if len(pos) > 1 else pos[0]
        # Not wq.AndNot: its matcher can keep a document of the excluded term when that term's
        # postings start earlier in a segment (seen on BBC: `profit -loss` kept a text with "losses").
        return wq.And([base, wq.Not(wq.Or(neg) if len(neg) > 1 else neg[0])]) if neg else base

    def _plans(self, fieldname: str, negated: bool) -> list[Plan]:
        if negated:
            return []
        return [self.title] if fieldname == "title" else [self.body, self.title]

    def _fields(self, fieldname: str, exact: bool) -> list[str]:
        names = ["title"] if fieldname == "title" else ["body", "title"]
        return [n + "_exact" for n in names] if exact else names

    def _term(self, node: Term, negated: bool) -> wq.Query | None:
        if node.prefix or node.fuzzy:
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
        return _any([wq.Term(f, stem) for f in self._fields(node.field, exact=False)])

    def _phrase(self, text: str, fieldname: str, slop: int, negated: bool) -> wq.Query | None:
        words = exact_words(text)
        if not words:
            self.notes.append(f'"{text}" has no letters or digits and was ignored')
            return None
        if len(words) > MAX_PHRASE_WORDS:
            self.notes.append(f"only the first {MAX_PHRASE_WORDS} words of a phrase were used")
            words = words[:MAX_PHRASE_WORDS]
        fields = self._fields(fieldname, exact=True)
        plans = self._plans(fieldname, negated)
        for plan in plans:
            plan.add(text, "word" if len(words) == 1 else "phrase", tuple(words), slop)
        if len(words) == 1:
            return _any([wq.Term(f, words[0]) for f in fields])
        # Whoosh's slop counts positions from one word to the next: 1 means adjacent.
        return _any([wq.Phrase(f, words, slop=slop + 1) for f in fields])

    def _expand(self, node: Term, negated: bool) -> wq.Query | None:
        words = exact_words(node.text)
        if len(words) != 1:
            self.notes.append(f"'{node.describe()}': prefix and fuzzy search take one word; searched as written")
            return self._phrase(node.text, node.field, 0, negated) if words else None
        word = fold(words[0])
        terms = self._vocabulary(word, node)
        self.expansions[node.describe()] = terms
        if not terms:
            return wq.NullQuery
        for plan in self._plans(node.field, negated):
            for t in terms:
                plan.add(t, "word", (t,))
        return _any([wq.Term(f, t) for f in self._fields(node.field, exact=True) for t in terms])

    def _vocabulary(self, word: str, node: Term) -> list[str]:
        """Return the indexed words a prefix or fuzzy term stands for, most frequent first, capped."""
        fields = self._fields(node.field, exact=True)
        distance = self._distance(word, node) if node.fuzzy else 0
        found: set[str] = set()
        for f in fields:  # the generation's words in memory (engine/vocab.py)
            vocab = vocabulary(self.reader, f)
            if node.prefix:
                found.update(vocab.prefixed(word))
            elif distance:
                found.update(vocab.within(word, distance, prefix=1 if len(word) > 3 else 0))
            elif vocab.df.get(word):
                found.add(word)
        return self._cap(sorted(found), node, fields)

    def _distance(self, word: str, node: Term) -> int:
        """Return the edit distance to use: short words allow fewer edits (as Lucene's AUTO)."""
        most = 0 if len(word) <= 2 else (1 if len(word) <= 5 else 2)
        if node.fuzzy > most:
            letters, edits = ("letter" if len(word) == 1 else "letters"), ("edit" if most == 1 else "edits")
            self.notes.append(f"'{node.describe()}': a word of {len(word)} {letters} allows at most {most} {edits}")
        return min(node.fuzzy, most)

    def _cap(self, found: list[str], node: Term, fields: list[str]) -> list[str]:
        if len(found) > MAX_EXPANSION:
            vocabs = [vocabulary(self.reader, f).df for f in fields]
            found.sort(key=lambda t: -sum(v.get(t, 0) for v in vocabs))
            self.notes.append(f"'{node.describe()}' matches {len(found):,} words; the {MAX_EXPANSION} most common were used")
            self.partial = True
            found = found[:MAX_EXPANSION]
        return found


def _any(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.Or(queries)
