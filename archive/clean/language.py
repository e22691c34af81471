"""Guess a document's language: by script for CJK and Hangul, by common words for European languages."""

from __future__ import annotations

import re
from collections import Counter

STOPWORDS: dict[str, list[str]] = {
    "en": "the and of to in is that for it was on with as by at from his her are has have said".split(),
    "de": "der die und das ist nicht mit sich des auf für dem den ein eine auch von zu im".split(),
    "fr": "le la les et des est une pour dans que qui sur pas du au par avec plus ce sont".split(),
    "es": "el la los las de que y en un una por con para es del se al como más pero".split(),
    "pt": "o a os as de que e em um uma para com não por mais do da dos das se ao".split(),
    "it": "il la di che e un una per non con del della sono nel alla anche gli le".split(),
    "nl": "de het een en van in is dat op te zijn voor met niet aan er ook als".split(),
}
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[a-z]+")  # `_WORD` on lower-cased ASCII text (the same words, found faster)


_STOP_SETS = {lang: frozenset(sw) for lang, sw in STOPWORDS.items()}  # built once, not per word
# The characters `_script_counts` counts as Hangul, kana or Han: a text without any scores 0 on
# every script test, so counting its letters one by one (most of the cost) can be skipped.
_CJK = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u4e00-\u9fff\u3400-\u4dbf]")


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code, or "" when the text gives too little to go on."""
    sample = text[:20000]
    ascii_only = sample.isascii()
    if not ascii_only and _CJK.search(sample):
        counts = _script_counts(sample)
        letters = sum(counts.values()) or 1
        if counts["hangul"] / letters > 0.3:
            return "ko"
        if counts["kana"] / letters > 0.1:
            return "ja"
        if counts["han"] / letters > 0.3:
            return "zh"
    if ascii_only:  # the words of the lower-cased text: an ASCII letter of `_WORD` is [a-z] once lower-cased
        words = _ASCII_WORD.findall(sample.lower())
        seen = Counter(words)
    else:
        words = _WORD.findall(sample)
        seen = Counter(w.lower() for w in words)  # each distinct word looked up once per language
    if len(words) < 5:
        return ""
    scores = {lang: sum(seen[w] for w in sw if w in seen) for lang, sw in _STOP_SETS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= max(2, len(words) // 50) else ""


def _script_counts(text: str) -> dict[str, int]:
    counts = {"hangul": 0, "kana": 0, "han": 0, "latin": 0}
    for ch in text:
        o = ord(ch)
        if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            counts["hangul"] += 1
        elif 0x3040 <= o <= 0x30FF:
            counts["kana"] += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
            counts["han"] += 1
        elif ch.isalpha():
            counts["latin"] += 1
    return counts
