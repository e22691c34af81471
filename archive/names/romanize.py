"""Hangul in Latin letters: Revised Romanization (RR, South Korea since 2000) and McCune-Reischauer (MR).

The tables are the systems' letter tables; between syllables the rules that change spellings of
place and person names most are applied: a final consonant before a silent initial moves over
(RR 한국어 -> hangugeo), ㄴ/ㄹ next to ㄹ become ll, and in MR plain stops are voiced between voiced
sounds (k/t/p/ch -> g/d/b/j). DPRK usage is MR without breves or apostrophes (Pyongyang,
Chongjin) and keeps an initial ㄹ as r (Ryanggang, Rason), which the tables do too. Tense-consonant
assimilations (e.g. 있다 -> itta) are left out: names rarely need them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

FIRST, LAST = 0xAC00, 0xD7A3  # the precomposed Hangul syllables
# Initial consonants, in Unicode order: ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ
RR_INITIAL = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
MR_INITIAL = ["k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch'", "k'", "t'", "p'", "h"]
# Vowels: ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅘ ㅙ ㅚ ㅛ ㅜ ㅝ ㅞ ㅟ ㅠ ㅡ ㅢ ㅣ
RR_VOWEL = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
            "yu", "eu", "ui", "i"]
MR_VOWEL = ["a", "ae", "ya", "yae", "ŏ", "e", "yŏ", "ye", "o", "wa", "wae", "oe", "yo", "u", "wŏ", "we", "wi",
            "yu", "ŭ", "ŭi", "i"]
# Finals: none ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅄ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ, as said at a word's end
FINAL = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng",
         "t", "t", "k", "t", "p", "t"]
# A final before a silent initial is read as that consonant's initial (index into the initial tables; -1: none).
CARRIED = [-1, 0, 1, 0, 2, 2, 2, 3, 5, 0, 6, 7, 9, 16, 17, 5, 6, 7, 9, 9, 10, -1, 12, 14, 15, 16, 17, -1]
VOICED_MR = {"k": "g", "t": "d", "p": "b", "ch": "j"}
SYSTEMS = ("rr", "mr")


def is_hangul(text: str) -> bool:
    """Return True when every character is a precomposed Hangul syllable."""
    return bool(text) and all(FIRST <= ord(c) <= LAST for c in text)


def _parts(syllable: str) -> tuple[int, int, int]:
    n = ord(syllable) - FIRST
    return n // 588, (n % 588) // 28, n % 28


def romanize(word: str, system: str = "rr") -> str:
    """Return a Hangul word in RR or MR (MR with its breves and apostrophes), lower case."""
    initials, vowels = (RR_INITIAL, RR_VOWEL) if system == "rr" else (MR_INITIAL, MR_VOWEL)
    syllables = [_parts(c) for c in word if FIRST <= ord(c) <= LAST]
    heads = [initials[ini] for ini, _, _ in syllables]
    tails = [FINAL[fin] for _, _, fin in syllables]
    for i in range(1, len(syllables)):
        fin, ini = syllables[i - 1][2], syllables[i][0]
        heads[i], tails[i - 1] = _boundary(tails[i - 1], fin, ini, initials, system)
    return "".join(h + vowels[vow] + t for h, (_, vow, _), t in zip(heads, syllables, tails))


NASAL = {"k": "ng", "t": "n", "p": "m"}  # a stop before a nasal is said as the nasal of its place


def _boundary(tail: str, fin: int, ini: int, initials: list[str], system: str) -> tuple[str, str]:
    """Return how the head of a syllable and the tail of the one before it are written, as said together."""
    head = initials[ini]
    if ini == 11 and CARRIED[fin] >= 0:  # a silent initial: the final moves over, between vowels
        head = initials[CARRIED[fin]]
        return (VOICED_MR.get(head, head) if system == "mr" else head), ""
    if ini == 5:  # ㄹ after a final
        if tail in ("n", "l"):
            return "l", "l"
        if tail:
            return "n", NASAL.get(tail, tail)
        return head, tail
    if ini in (2, 6) and tail in NASAL:  # ㄴ, ㅁ
        return head, NASAL[tail]
    if system == "mr" and head in VOICED_MR and tail in ("", "n", "m", "ng", "l"):
        head = VOICED_MR[head]
    return head, tail


def plain(text: str) -> str:
    """Return a spelling folded for comparison: lower case, no accents, breves, apostrophes, hyphens or spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[\W_]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def spellings(word: str) -> set[str]:
    """Return the folded spellings of a Hangul word in RR, MR, and DPRK usage (MR folded)."""
    return {plain(romanize(word, system)) for system in SYSTEMS}


RULES = [("eo", "o"), ("eu", "u"), ("ae", "e"), ("wo", "o"), ("tch", "jj"), ("ch", "j"), ("sh", "s"), ("k", "g"),
         ("t", "d"), ("p", "b"), ("l", "r")]


def skeleton(text: str) -> str:
    """Return a spelling with the differences between romanization rules folded away.

    eo/ŏ/o, eu/ŭ/u, k/g, t/d, p/b, ch/j, sh/s and l/r become one, and an initial r or l (DPRK
    usage keeps it: Ryanggang, Rodong, Ri) is read as the South writes it (Yanggang, Nodong, I).
    Two spellings with one skeleton may name one place or two: only context tells.
    """
    s = plain(text)
    if s[:1] in ("r", "l") and len(s) > 1:
        s = s[1:] if s[1] in "yi" else "n" + s[1:]
    for old, new in RULES:
        s = s.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", s)  # doubled letters (kk, ss, nn) once


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Return every syllable as RR and folded MR spell it (with the voiced MR forms)."""
    out = set()
    for ini in range(19):
        for vow in range(21):
            for fin in range(28):
                for system in SYSTEMS:
                    initials, vowels = (RR_INITIAL, RR_VOWEL) if system == "rr" else (MR_INITIAL, MR_VOWEL)
                    heads = {initials[ini], VOICED_MR.get(initials[ini], initials[ini]), "l" if ini == 5 else ""}
                    for head in heads:
                        if head or ini == 11 or (ini == 5):
                            out.add(plain(head + vowels[vow] + FINAL[fin]))
                            out.add(plain(head + vowels[vow]))
    out.discard("")
    return frozenset(out)


def romanized(text: str) -> bool:
    """Return True when a Latin word can be read as romanized Korean syllables (Chongjin yes, Merrow no)."""
    s = plain(text)
    if not s or not s.isascii() or not s.isalpha():
        return False
    known = _syllables()
    ok = [True] + [False] * len(s)
    for end in range(1, len(s) + 1):
        ok[end] = any(ok[start] and s[start:end] in known for start in range(max(0, end - 7), end))
    return ok[len(s)]
