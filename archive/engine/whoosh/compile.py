"""Compile a query tree into a Whoosh query, and into a plan for finding its matches in a text.

Unquoted words search the stemmed fields; quoted phrases, proximity (`~N`, `w/N`, `pre/N`),
prefixes, fuzzy and regex terms search the exact fields (DESIGN.md §3). Prefix, fuzzy and regex
terms expand from the index's own vocabulary, capped so `a*` cannot run away; a capped expansion
makes the result `partial`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.reading import IndexReader

from archive.engine.plan import MAX_EXPANSION, MAX_PHRASE_WORDS, Pattern, Plan, TreeCompiler
from archive.engine.regex import WordPattern
from archive.engine.whoosh.near import near_query
from archive.engine.whoosh.vocab import vocabulary
from archive.query.tree import Node, Term

__all__ = ["MAX_EXPANSION", "MAX_PHRASE_WORDS", "Compiled", "Compiler", "Pattern", "Plan"]

# Query fields whose index field has another name (e-mail addresses and names, Reuters codes).
VALUE_FIELDS = {"from": "sender", "to": "recipients", "topic": "topics", "place": "places"}


@dataclass
class Compiled:
    """A Whoosh query plus what the user should know about how it was run."""

    query: wq.Query
    body_plan: Plan
    title_plan: Plan
    notes: list[str] = field(default_factory=list)
    partial: bool = False
    expansions: dict[str, list[str]] = field(default_factory=dict)


class Compiler(TreeCompiler[wq.Query]):
    """Compile one tree against one index reader (expansions read its vocabulary)."""

    def __init__(self, reader: IndexReader):
        super().__init__()
        self.reader = reader

    def compile(self, tree: Node) -> Compiled:
        q = self._node(tree, negated=False)
        if q is None:
            q = wq.NullQuery
        return Compiled(q, self.body, self.title, self.notes, self.partial, self.expansions)

    def nothing(self) -> wq.Query:
        return wq.NullQuery

    def everything(self) -> wq.Query:
        return wq.Every()

    def value(self, fieldname: str, value: str) -> wq.Query:
        return wq.Term(VALUE_FIELDS.get(fieldname, fieldname), value)

    def dates(self, start: str, end: str) -> wq.Query:
        return wq.TermRange("date", start or "0000", end or "9999")

    def negate(self, query: wq.Query) -> wq.Query:
        return wq.Not(query)

    def any_of(self, queries: list[wq.Query]) -> wq.Query:
        return _any(queries)

    def all_of(self, queries: list[wq.Query]) -> wq.Query:
        return queries[0] if len(queries) == 1 else wq.And(queries)

    def but_not(self, base: wq.Query | None, excluded: list[wq.Query]) -> wq.Query:
        if base is None:
            return wq.Not(_any(excluded))
        # Not wq.AndNot: its matcher can keep a document of the excluded term when that term's
        # postings start earlier in a segment (seen on BBC: `profit -loss` kept a text with "losses").
        return wq.And([base, wq.Not(_any(excluded))])

    def stem(self, stem: str, fieldname: str) -> wq.Query:
        return _any([wq.Term(f, stem) for f in self._fields(fieldname, exact=False)])

    def words(self, words: list[str], fieldname: str, slop: int) -> wq.Query:
        fields = self._fields(fieldname, exact=True)
        if len(words) == 1:
            return _any([wq.Term(f, words[0]) for f in fields])
        # Whoosh's slop counts positions from one word to the next: 1 means adjacent.
        return _any([wq.Phrase(f, words, slop=slop + 1) for f in fields])

    def one_of_words(self, words: list[str], fieldname: str) -> wq.Query:
        return _any([wq.Term(f, t) for f in self._fields(fieldname, exact=True) for t in words])

    def _fields(self, fieldname: str, exact: bool) -> list[str]:
        names = ["title"] if fieldname == "title" else ["body", "title"]
        return [n + "_exact" for n in names] if exact else names

    def _vocabulary(self, word: str, node: Term) -> list[str]:
        """Return the indexed words a prefix or fuzzy term stands for, most frequent first, capped."""
        fields = self._fields(node.field, exact=True)
        distance = self._distance(word, node) if node.fuzzy else 0
        found: set[str] = set()
        for f in fields:  # the generation's words in memory (whoosh/vocab.py)
            vocab = vocabulary(self.reader, f)
            if node.prefix:
                found.update(vocab.prefixed(word))
            elif distance:
                found.update(vocab.within(word, distance, prefix=1 if len(word) > 3 else 0))
            elif vocab.df.get(word):
                found.add(word)
        return self._cap(sorted(found), node, fields)

    def near(self, left: list[tuple[str, ...]], right: list[tuple[str, ...]], fieldname: str, distance: int,
             ordered: bool) -> wq.Query:
        return _any([near_query(f, left, right, distance, ordered) for f in self._fields(fieldname, exact=True)])

    def _words_matching(self, pattern: WordPattern, node: Term) -> list[str]:
        fields = self._fields(node.field, exact=True)
        found: set[str] = set()
        for f in fields:
            found.update(pattern.among(vocabulary(self.reader, f).words))
        return self._cap(sorted(found), node, fields)

    def _cap(self, found: list[str], node: Term, fields: list[str]) -> list[str]:
        vocabs = [vocabulary(self.reader, f).df for f in fields]
        return self._capped(found, node, lambda t: sum(v.get(t, 0) for v in vocabs))


def _any(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else wq.Or(queries)
