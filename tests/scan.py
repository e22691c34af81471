"""A brute-force reading of texts, written apart from the engine, to check its totals against.

It follows the rules the README gives for words, not the engine's code: words are runs of
letters and digits (apostrophes inside a word dropped, except a final possessive 's, which also
counts as the plain word), `C++`/`C#` are words, runs of Korean, Chinese or Japanese become
overlapping pairs of characters, and case and accents do not matter.

On top of the words, a few query forms are read as DESIGN.md §3 describes them, so counts of
documents and of marked occurrences can be checked: a bare word (`Word`) matches every word
with its Porter stem (the published algorithm, as the Whoosh library ships it), a quoted phrase
(`Phrase`, with a slop) matches the words in order within one field, a prefix (`Prefix`)
matches the words that start with it, and `AnyOf` any of its parts. Alias groups are read from
the aliases file itself (`aliased`).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from whoosh.lang.porter import stem as porter_stem

_APOS = "'‘’ʼʻ＇"
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(
    rf"(?<![^\W_])[A-Za-z](?:\+\+|#)(?![^\W\d]|[+#])"  # C++, C#, F#
    rf"|[{_CJK}]+"
    rf"|[^\W_{_CJK}]+(?:[{_APOS}][^\W_{_CJK}]+)*"
)


def _fold(raw: str) -> str:
    if len(raw) > 2 and raw[-2] in _APOS and raw[-1] in "sS":
        return _fold(raw[:-2]) + "'s"
    raw = "".join(c for c in raw if c not in _APOS)
    decomposed = unicodedata.normalize("NFKD", raw.casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def spans(text: str) -> list[tuple[str, int, int]]:
    """Return (folded word, start, end) of each word of a text in order (CJK runs as overlapping pairs)."""
    out = []
    for m in _WORD.finditer(text):
        run, base = m.group(), m.start()
        if run[0] >= "\u1100" and re.fullmatch(f"[{_CJK}]+", run):
            width = min(2, len(run))  # a lone character stays one token
            out += [(run[i:i + width], base + i, base + i + width) for i in range(len(run) - width + 1)]
        else:
            out.append((_fold(run), base, m.end()))
    return out


def tokens(text: str) -> list[str]:
    """Return the folded words of a text in order (CJK runs as overlapping pairs)."""
    return [t for t, _, _ in spans(text)]


def same(token: str, word: str) -> bool:
    """Return True when a text's token is the query's word (a possessive is also its plain word)."""
    return token == word or (token.endswith("'s") and token[:-2] == word)


def has_phrase(toks: list[str], words: list[str], slop: int = 0) -> bool:
    """Return True when the words occur in order, each within `slop` other words of the previous."""
    def rest(k: int, pos: int) -> bool:
        if k == len(words):
            return True
        return any(same(toks[j], words[k]) and rest(k + 1, j) for j in range(pos + 1, min(len(toks), pos + slop + 2)))
    return any(same(t, words[0]) and rest(1, i) for i, t in enumerate(toks))


def occurrences(toks: list[str], alternatives: list[list[str]]) -> list[tuple[int, int]]:
    """Return (first, last) index of every occurrence of any of the word sequences."""
    return [(i, i + len(ws) - 1) for ws in alternatives for i in range(len(toks) - len(ws) + 1)
            if all(same(toks[i + k], w) for k, w in enumerate(ws))]


def has_near(toks: list[str], left: list[list[str]], right: list[list[str]], distance: int, ordered: bool) -> bool:
    """Return True when a left and a right occurrence are 1..distance positions apart (left first if ordered)."""
    rs = occurrences(toks, right)
    return any(1 <= b0 - a1 <= distance or (not ordered and 1 <= a0 - b1 <= distance)
               for a0, a1 in occurrences(toks, left) for b0, b1 in rs)


def stem(word: str) -> str:
    """Return the stem a bare word is matched by: its plain word (for a possessive), Porter-stemmed."""
    return porter_stem(word[:-2] if word.endswith("'s") and len(word) > 2 else word)


@dataclass(frozen=True)
class Word:
    """An unquoted word: matches every word of a text with the same stem."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase: its words in order, each within `slop` other words of the previous, in one field."""

    text: str
    slop: int = 0


@dataclass(frozen=True)
class Prefix:
    """`word*`: matches every word that starts with the prefix."""

    text: str


@dataclass(frozen=True)
class AnyOf:
    """`a OR b`: matches where any part matches."""

    parts: tuple[Word | Phrase | Prefix | AnyOf, ...]


Query = Word | Phrase | Prefix | AnyOf
ALIASES = Path(__file__).resolve().parents[1] / "samples" / "aliases.toml"


def aliased(query: Word | Phrase, path: Path = ALIASES) -> Query:
    """Return a word or phrase with the other names of its alias group (read from the file), if any.

    Another name of one word is an unquoted word for an unquoted query; names of several words
    and names for a quoted phrase are phrases.
    """
    key = tokens(query.text)
    for group in tomllib.loads(path.read_text(encoding="utf-8"))["aliases"]:
        names = [n.strip() for n in (group.split("=") if isinstance(group, str) else group)]
        if key in [tokens(n) for n in names]:
            others = [n for n in names if tokens(n) != key]
            return AnyOf((query, *(Word(n) if isinstance(query, Word) and len(tokens(n)) == 1
                                   else Phrase(n, getattr(query, "slop", 0)) for n in others)))
    return query


def marks(query: Query, text: str) -> list[tuple[int, int]]:
    """Return the character spans a query matches in one text, overlapping or touching spans merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(_matches(query, spans(text))):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def matches(query: Query, *fields: str) -> bool:
    """Return True when the query matches in any of the fields (a phrase within one field)."""
    return any(_matches(query, spans(f)) for f in fields)


def _matches(query: Query, toks: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    if isinstance(query, AnyOf):
        return [m for part in query.parts for m in _matches(part, toks)]
    if isinstance(query, Word):
        wanted = {stem(w) for w in tokens(query.text)}
        assert len(wanted) == 1, query  # one word
        return [(s, e) for t, s, e in toks if stem(t) in wanted]
    if isinstance(query, Prefix):
        prefix = _fold(query.text)
        return [(s, e) for t, s, e in toks if t.startswith(prefix)]
    words = tokens(query.text)
    found = []

    def extend(k: int, pos: int, start: int) -> None:
        if k == len(words):
            found.append((start, toks[pos][2]))
            return
        for j in range(pos + 1, min(len(toks), pos + query.slop + 2)):
            if same(toks[j][0], words[k]):
                extend(k + 1, j, start)

    for i, (t, s, _) in enumerate(toks):
        if same(t, words[0]):
            extend(1, i, s)
    return found


@dataclass
class Counts:
    """What a query finds in a set of documents, counted as the archive reports it (DESIGN.md §6)."""

    documents: int  # distinct texts matched in the title or the text
    occurrences: int  # marks in the texts, one text per distinct text
    documents_with_occurrences: int
    years: dict[str, int]  # distinct texts per year


def counts(query: Query, documents: list) -> Counts:  # type: ignore[type-arg]
    """Count a query's matches in documents (with title, text, content_hash, date) by reading every text."""
    found = {d.content_hash: d for d in documents if matches(query, d.title, d.text)}
    per_text = {h: len(marks(query, d.text)) for h, d in found.items()}
    years: dict[str, int] = {}
    for d in found.values():
        if d.date:
            years[d.date[:4]] = years.get(d.date[:4], 0) + 1
    return Counts(len(found), sum(per_text.values()), sum(1 for n in per_text.values() if n),
                  dict(sorted(years.items())))
