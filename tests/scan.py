"""A brute-force reading of texts, written apart from the engine, to check its totals against.

It follows the rules the README gives for words, not the engine's code: words are runs of
letters and digits (apostrophes inside a word dropped, except a final possessive 's, which also
counts as the plain word), `C++`/`C#` are words, runs of Korean, Chinese or Japanese become
overlapping pairs of characters, and case and accents do not matter.
"""

from __future__ import annotations

import re
import unicodedata

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


def tokens(text: str) -> list[str]:
    """Return the folded words of a text in order (CJK runs as overlapping pairs)."""
    out = []
    for m in _WORD.finditer(text):
        run = m.group()
        if run[0] >= "\u1100" and re.fullmatch(f"[{_CJK}]+", run):
            out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            out.append(_fold(run))
    return out


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
