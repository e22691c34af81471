"""The archive's tokens, encoded for Sphinx, and the rows it indexes.

Both engines must read text the same way (DESIGN.md §3, §11): the archive tokenises, folds and
stems with its own analyser (`archive.engine.whoosh.analysis.token_spans`) and Sphinx indexes the result,
one Sphinx word per archive token, so phrase positions, stems, CJK bigrams, `C++` and folded
accents agree exactly with the Whoosh index.

Sphinx's charset is `0..9, a..z, A..Z`, case-sensitive. A folded token never holds an upper-case
ASCII letter, so lower-case letters and digits stand for themselves and every other character is
written as its UTF-8 bytes, each byte as two upper-case letters (A..P for each half). The encoding
is unambiguous and keeps prefixes: the encoding of a word's prefix is a prefix of its encoding.

Metadata values (source, language, year, ...) and dates become single tokens of the `keys` field,
so a filter can stand anywhere in a boolean query, under OR or NOT, as it can in Whoosh.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from base64 import b64decode, b64encode

from archive.documents import Document
from archive.engine.common import people, source_key
from archive.engine.whoosh.analysis import token_spans
from archive.query.words import plain

_PLAIN = re.compile(r"[a-z0-9]+")
_NIBBLE = "ABCDEFGHIJKLMNOP"
EVERYTHING = "zall"  # a token every document has: pure negations need something to subtract from
NOTHING = "znone"  # a token no document has
MAX_STORED = 4_000_000  # bytes: Sphinx 2.2 cuts longer string attributes silently

# Query field -> the document's values for it (as the Whoosh schema indexes them).
VALUE_FIELDS = ("source", "lang", "collection", "year", "format", "from", "to", "topic", "place")


def encode(token: str) -> str:
    """Return a folded token in Sphinx's alphabet (see the module docstring)."""
    if _PLAIN.fullmatch(token):
        return token
    out = []
    for ch in token:
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
        else:
            out.extend(_NIBBLE[b >> 4] + _NIBBLE[b & 15] for b in ch.encode("utf-8"))
    return "".join(out)


def decode(word: str) -> str:
    """Return the token an encoded word stands for (for expansions shown to the user)."""
    out, raw = [], bytearray()
    i = 0
    while i < len(word):
        ch = word[i]
        if "A" <= ch <= "P" and i + 1 < len(word):
            raw.append(_NIBBLE.index(ch) << 4 | _NIBBLE.index(word[i + 1]))
            i += 2
            continue
        if raw:
            out.append(raw.decode("utf-8", "replace"))
            raw.clear()
        out.append(ch)
        i += 1
    if raw:
        out.append(raw.decode("utf-8", "replace"))
    return "".join(out)


def field_text(text: str, stemmed: bool) -> str:
    """Return a text as the encoded tokens the archive's analyser gives, one word each."""
    if stemmed:
        return " ".join(stem_word(t) for t, _, _ in token_spans(text, True))
    # One Sphinx word per position: a possessive is indexed as its plain word, and a query with
    # a possessive is checked in memory (proximity.py), as Sphinx cannot hold both at one position.
    return " ".join(encode(plain(t) or t) for t, _, _ in token_spans(text, False))


def stem_word(stem: str) -> str:
    """Return a stem's word: `Z` first, so stems and exact words never share a dictionary entry."""
    return "Z" + encode(stem)


def value_token(field: str, value: str) -> str:
    """Return the token of one metadata value (a hash, so any value is one word)."""
    return "v" + field + hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


def hash_token(content_hash: str) -> str:
    """Return the token that finds every copy of a text."""
    return "h" + re.sub(r"[^a-z0-9]", "", content_hash.lower())[:32]


def date_tokens(date: str) -> list[str]:
    """Return the year, month and day tokens of an ISO date ([] when there is none)."""
    digits = date.replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return []
    return ["dy" + digits[:4], "dm" + digits[:6], "dd" + digits]


def day_number(date: str) -> int:
    """Return YYYYMMDD as an integer (0 when there is no date)."""
    digits = date.replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def values(doc: Document) -> dict[str, list[str]]:
    """Return each query field's values of a document, as the Whoosh engine indexes them."""
    meta = doc.meta or {}
    split = lambda s: [v for v in s.split(",") if v]  # noqa: E731
    return {
        "source": [source_key(doc.source or doc.collection)],
        "lang": [(doc.language or "").lower()],
        "collection": [doc.collection],
        "year": [doc.date[:4]] if doc.date else [],
        "format": [doc.format],
        "from": split(people(meta.get("from"))),
        "to": split(people(meta.get("to"), meta.get("cc"))),
        "topic": [t.lower() for t in meta.get("topics") or []],
        "place": [p.lower() for p in meta.get("places") or []],
    }


def keys_text(doc: Document) -> str:
    """Return the `keys` field of a document: its metadata values, dates, hash and the all-token."""
    words = [EVERYTHING, hash_token(doc.content_hash)] + date_tokens(doc.date or "")
    for name, vals in values(doc).items():
        words += [value_token(name, v) for v in vals if v]
    return " ".join(words)


def pack(doc: Document) -> str:
    """Return the stored form of a document (compressed JSON); raise ValueError when too large."""
    data = b64encode(zlib.compress(json.dumps(doc.to_dict(), ensure_ascii=False).encode(), 6)).decode()
    if len(data) > MAX_STORED:
        raise ValueError(f"the document is too large for the cluster's stored attribute "
                         f"({len(data):,} bytes compressed; the limit is {MAX_STORED:,})")
    return data


def unpack(data: str) -> Document:
    """Return the document of a stored form."""
    return Document.from_dict(json.loads(zlib.decompress(b64decode(data))))


def sphinx_id(doc_id: str) -> int:
    """Return the engine's 63-bit document number for an archive id (stable, never 0)."""
    return int(hashlib.blake2b(doc_id.encode(), digest_size=8).hexdigest(), 16) >> 1 or 1


def row(doc: Document, written: int) -> dict:
    """Return the column values of a document's row in its shard's real-time index."""
    return {
        "id": sphinx_id(doc.id),
        "title": field_text(doc.title, False), "body": field_text(doc.text, False),
        "title_stem": field_text(doc.title, True), "body_stem": field_text(doc.text, True),
        "keys": keys_text(doc),
        "doc_id": doc.id, "content_hash": doc.content_hash,
        "source": source_key(doc.source or doc.collection), "source_name": doc.source or doc.collection,
        "lang": (doc.language or "").lower(), "year": doc.date[:4] if doc.date else "",
        "month": doc.date[:7] if doc.date else "", "date": doc.date or "", "day": day_number(doc.date or ""),
        "collection": doc.collection, "story": doc.story or doc.content_hash, "run_id": doc.run_id,
        "file_relpath": (doc.meta or {}).get("source_relpath", doc.relpath), "pipeline": doc.pipeline,
        "doc": pack(doc), "size": int(doc.size or 0), "mtime_ns": int(doc.mtime_ns or 0), "written": written,
        "dup": 0,
    }

