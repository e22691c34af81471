"""Describe lines for the line classifier: what a line says, and what surrounds it.

Two views, each used both at training time (bench/cleaning/train.py, scikit-learn) and at run
time (archive/clean/classify.py, numpy), so the two can never disagree about a feature:

- `line_tokens`: the line on its own, as sparse named features: its words and word pairs
  (lower-cased, digits folded), its first and last words, and its shape (length, case,
  punctuation, digits, links, dates, script, the kinds of rule it matches). The classifier's first
  stage scores these into a probability per kind (`archive.clean.kinds`).
- `context_features`: the line among its neighbours, as a dense vector: the first stage's kind
  probabilities of the two lines before and after it, its place in the document, how much
  likely article text comes before and after it, and the run of short lines it sits in. A run of
  short title-case lines is a related list; a short line after a caption-like line is a credit; the
  last lines of a file after the last paragraph are where promos sit.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate

import numpy as np

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
_PUNCT = re.compile(r"[^\w\s]")
# Some marks' patterns first test what a match needs where it starts (a digit ahead in the word; a
# digit or a month's first letter), so the engine leaves most places of a line after one test; they
# match the lines they matched without it (tests/test_clean_model.py).
_MIXED = re.compile(r"\b(?=\w*\d)(?=\w*[a-z])\w{4,}\b|\w_\w", re.IGNORECASE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_URL = re.compile(r"https?://|www\.|\.(com|org|net|co\.uk|io)\b")
_EMAIL = re.compile(r"\S@\S+\.\w")
_HANDLE = re.compile(r"(^|\s)[@#]\w")
_DATE = re.compile(
    r"\b(?=[\djfmasond])(?:"
    r"(19|20)\d\d[-./](0?[1-9]|1[0-2])[-./]\d{1,2}\b|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
    r"\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)",
    re.IGNORECASE,
)
_TIME = re.compile(r"(?=\d)\b(?:\d{1,2}[:.]\d\d\s*(am|pm|a\.m\.|p\.m\.)?|\d{1,2}\s*(am|pm)\b)", re.IGNORECASE)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_SEPARATORS = re.compile(r"\s[|•·»›/]\s|\s[|•·]|[|•·]\s")
_SEPARATOR_CHARS = "|•·»›/"  # one of which every separator holds
SENTENCE_END = re.compile(r"[.!?…。！？][\"”’»)\]]*\s*$")  # a line that ends like a sentence
_FUNCTION = frozenset(
    """a an the and or but of in on at to for from by with as is are was were be been has have had it
    its this that these those not no will would can could should may might must his her their our
    your my we they he she you i about up out off into than then so if when while how why what who
    which said says der die das und ist le la les et des est el los las de que y en un una o os""".split()
)
_URL_ANY_CASE = re.compile(_URL.pattern, re.IGNORECASE)
_URL_PIECES = ("http", "www.", ".com", ".org", ".net", ".co.uk", ".io")  # what each branch of _URL needs
# What a line holds, each a feature of its own ("mixed_word": file names and codes, "IMG_2041"),
# with what a line must hold for the pattern to match at all: a digit, an "@" or "#", a character
# outside ASCII, an underscore, a piece of a web address ("w"). Most lines hold none of these, and the
# test costs less than the search. `_marks` makes these tests one after another, in this order (the
# table stays the reference its tests compare it with).
_MARKS = (("url", _URL_ANY_CASE, "w"), ("email", _EMAIL, "@"), ("handle", _HANDLE, "@#"), ("date", _DATE, "0"),
          ("time", _TIME, "0"), ("year", _YEAR, "0"), ("cjk", _CJK, "^"), ("mixed_word", _MIXED, "0_"))
_BINS_WORDS = (0, 1, 2, 3, 4, 6, 9, 14, 24, 39)
_BINS_SHARE = (0.0, 0.001, 0.3, 0.6, 0.9, 1.0)


def _bin(value: float, edges: tuple[float, ...]) -> int:
    """Return the index of the last edge not above value."""
    k = 0
    for i, edge in enumerate(edges):
        if value >= edge:
            k = i
    return k


def _char_class(ch: str) -> str:
    if not ch:
        return "none"
    if ch.isupper():
        return "upper"
    if ch.islower():
        return "lower"
    if ch.isdigit():
        return "digit"
    if ch.isalpha():
        return "letter"  # scripts without case (Hangul, Han)
    return ch if ch in ".!?:;,)]\"”’'…|/-–—•·*>»(#@©" else "symbol"


def line_tokens(text: str, rule_kinds: tuple[str, ...] = ()) -> list[str]:
    """Return the named features of one line on its own (no context).

    :param rule_kinds: the kinds of boilerplate rule (archive/rules/generic.toml) the line matches:
        a rule is evidence the classifier weighs, as it learnt to from the training corpus.
    """
    words = _words(text)
    # Each distinct word, pair and mark once, in the order of the line: the first stage sums their
    # weights in this order, and an order that followed string hashing gave sums that differed in
    # their last bits from one process to the next (a line at the threshold went either way).
    toks = [f"w={w}" for w in dict.fromkeys(words)]
    toks += [f"b={a}_{b}" for a, b in dict.fromkeys(zip(words, words[1:]))]
    return toks + _shape_tokens(text, words, rule_kinds)


class FeatureIndex:
    """A first stage's vocabulary (feature name -> column), with a line's columns found in the
    order of `line_tokens` without naming each word and word pair: a line's words and pairs are
    most of its features, and making a string of each cost more than looking it up."""

    def __init__(self, vocab: dict[str, int]):
        self.vocab = vocab
        self.words = {name[2:]: i for name, i in vocab.items() if name.startswith("w=")}
        # A pair's name joins two words (which hold no "_") with "_".
        self.pairs = {tuple(name[2:].split("_")): i for name, i in vocab.items()
                      if name.startswith("b=") and name.count("_") == 1}

    def columns(self, text: str, rule_kinds: tuple[str, ...] = ()) -> list[int]:
        """Return the columns of the line's features the vocabulary holds, in `line_tokens` order:
        `[vocab[t] for t in line_tokens(text, rule_kinds) if t in vocab]`."""
        words = _words(text)
        out = [j for j in map(self.words.get, dict.fromkeys(words)) if j is not None]
        out += [j for j in map(self.pairs.get, dict.fromkeys(zip(words, words[1:]))) if j is not None]
        out += [j for j in map(self.vocab.get, _shape_tokens(text, words, rule_kinds)) if j is not None]
        return out


def _words(text: str) -> list[str]:
    """Return a line's words, lower-cased, each run of digits folded to one "0"."""
    # A run of digits never spans two words (digits are word characters): folding the line's runs
    # folds each word's.
    return _WORD.findall(_DIGITS.sub("0", text.lower()))


def _shape_tokens(text: str, words: list[str], rule_kinds: tuple[str, ...]) -> list[str]:
    """Return the features of a line besides its words and pairs: ends, length, case, punctuation,
    digits, marks, the kinds of rule it matches."""
    toks = []
    if words:
        toks.append(f"f={words[0]}")
        toks.append(f"l={words[-1]}")
        if len(words) > 1:
            toks.append(f"f2={words[0]}_{words[1]}")
    ascii_only = text.isascii()
    nwords = len(words) if ascii_only else len(words) + len(_CJK.findall(text)) // 2
    stripped = text.strip()
    first, last = stripped[:1], stripped[-1:]
    toks.append(f"nw={_bin(nwords, _BINS_WORDS)}")
    toks.append(f"start={_char_class(first)}")
    toks.append(f"end={_char_class(last)}")
    if SENTENCE_END.search(stripped):
        toks.append("sentence")
    raw_words = text.split()
    if len(raw_words) > 1:  # "By Anna Lee" is a byline, "By the numbers" a heading
        toks.append(f"case2={_char_class(raw_words[1][:1])}")
    alpha = [w for w in raw_words if w[:1].isalpha()]
    if alpha:
        caps = sum([w[0].isupper() for w in alpha]) / len(alpha)
        toks.append(f"caps={_bin(caps, _BINS_SHARE)}")
        longer = [w for w in alpha if len(w) > 1]
        if longer and all(map(str.isupper, longer)):
            toks.append("allcaps")
    if words:
        fn = sum(map(_FUNCTION.__contains__, words)) / len(words)
        toks.append(f"fn={_bin(fn, _BINS_SHARE)}")
    digits = len(_DIGIT.findall(text))
    if digits:
        toks.append(f"digits={_bin(digits / max(1, len(text)), (0.0, 0.05, 0.15, 0.3))}")
    toks += [f"p={ch}" for ch in dict.fromkeys(_PUNCT.findall(stripped))]
    seps = len(_SEPARATORS.findall(text)) if any(map(text.__contains__, _SEPARATOR_CHARS)) else 0
    if seps:
        toks.append(f"seps={min(seps, 4)}")
    toks += _marks(text, digits > 0)
    if max(map(len, raw_words), default=0) > 18:
        toks.append("long_word")
    toks += [f"rule={k}" for k in rule_kinds]
    return toks


def _marks(text: str, digit: bool) -> list[str]:
    """Return the names of the marks a line holds, in `_MARKS` order, each searched for only where the
    line holds what it needs (`_MARKS`); year and mixed words are told from the runs of word
    characters that hold a digit."""
    out = []
    other = not text.isascii()
    if other or any(map(text.lower().__contains__, _URL_PIECES)):
        if _URL_ANY_CASE.search(text):
            out.append("url")
    at = "@" in text
    if at and _EMAIL.search(text):
        out.append("email")
    if (at or "#" in text) and _HANDLE.search(text):
        out.append("handle")
    runs = _DIGIT_RUNS.findall(text) if digit else []
    if digit:
        if _DATE.search(text):
            out.append("date")
        if _TIME.search(text):
            out.append("time")
        if _year_found(runs):
            out.append("year")
    if other and _CJK.search(text):
        out.append("cjk")
    if (digit and any(len(r) >= 4 and _LETTER.search(r) for r in runs)) or ("_" in text and _JOINED.search(text)):
        out.append("mixed_word")
    return out


def _year_found(runs: list[str]) -> bool:
    """`_YEAR` told from the line's runs of word characters that hold a digit: one of four, "19" or "20"
    and two digits (a match of the pattern is such a run, whole)."""
    return any(len(r) == 4 and r[:2] in ("19", "20") and r[2:].isdecimal() for r in runs)


# Each run of word characters holding a digit, whole: found from a run's start only ("\b"), as
# "\w*\d\w*" finds them but without trying again from each later character of a run without one.
_DIGIT_RUNS = re.compile(r"\b\w*\d\w*")
_LETTER = re.compile(r"[a-z]", re.IGNORECASE)
_JOINED = re.compile(r"\w_\w")


# ---- context --------------------------------------------------------------------------------

_OFFSETS = (-2, -1, 1, 2)


_DENSE = 22


def context_width(kinds: int) -> int:
    """Return the length of a context vector for a model of `kinds` kinds."""
    return kinds * (1 + len(_OFFSETS)) + len(_OFFSETS) + _DENSE


def context_features(probs: np.ndarray, texts: list[str]) -> np.ndarray:
    """Return one dense context vector per line.

    :param probs: the first stage's kind probabilities, one row per line (column 0 is content).
    :param texts: the lines.

    A document has a handful of lines, so each line's values are worked out in Python (a numpy
    call on six numbers costs more than the arithmetic) with the same operations in the same
    order; sums, means and logarithms stay numpy's, so every value is bit for bit what it was
    with a numpy operation per column.
    """
    n, k = probs.shape
    words = [len(t.split()) for t in texts]
    sent = [1.0 if SENTENCE_END.search(t.strip()) else 0.0 for t in texts]
    nw = np.array(words, dtype=np.float64)
    content = probs[:, 0]
    masses = content * nw  # likely article words per line
    total = max(1.0, float(masses.sum()))
    mass = masses.tolist()
    ahead = list(accumulate(reversed(mass)))[::-1]  # from each line to the last, added from the last
    upto = list(accumulate(mass))
    share = content.tolist()
    # Is there a real paragraph (likely content, 15+ words) after / before this line?
    para = [c > 0.5 and w >= 15 for c, w in zip(share, words)]
    para_after = [False] * n
    for i in range(n - 2, -1, -1):
        para_after[i] = para_after[i + 1] or para[i + 1]
    short = [w <= 8 for w in words]
    log_nw = np.log1p(nw).tolist()
    log_run = np.log1p(np.array(_run_lengths(short), dtype=np.float64)).tolist()
    log_next_para = np.log1p(np.array(_distance(para, forward=True))).tolist()
    log_last_para = np.log1p(np.array(_distance(para, forward=False))).tolist()
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    window = _window_mean(share, 5)
    last = max(1, n - 1)
    log_n, mean, any_para = math.log1p(n), float(content.mean()), float(any(para))
    dense = []
    para_before = False
    for i in range(n):
        dense.append([
            log_nw[i], sent[i], i / last, float(i == 0), float(i == n - 1), float(i >= n - 3), log_n,
            (ahead[i] - mass[i]) / total, (upto[i] - mass[i]) / total, float(para_after[i]), float(para_before),
            log_run[i] * short[i], log_nw[i - 1] if i else 0.0, log_nw[i + 1] if i < n - 1 else 0.0,
            sent[i - 1] if i else 1.0, sent[i + 1] if i < n - 1 else 1.0, 1.0 if counts[texts[i]] > 1 else 0.0,
            window[i], log_next_para[i], log_last_para[i], mean, any_para,
        ])
        para_before = para_before or para[i]
    # The lines two before to two after each line: one padded copy read at four offsets, with a
    # column saying the neighbour is missing (beyond the first or last line).
    reach = max(abs(d) for d in _OFFSETS)
    padded = np.zeros((n + 2 * reach, k))
    padded[reach:reach + n] = probs
    beyond = np.ones((n + 2 * reach, 1))
    beyond[reach:reach + n] = 0.0
    cols = [probs]
    for d in _OFFSETS:
        cols.append(padded[reach + d:reach + d + n])
        cols.append(beyond[reach + d:reach + d + n])
    cols.append(np.array(dense, dtype=np.float64).reshape(n, _DENSE))
    return np.concatenate(cols, axis=1)


def _window_mean(values: list[float], k: int) -> list[float]:
    """Return the mean of values over the k lines before and after each line (itself included)."""
    c = [0.0, *accumulate(values)]
    n = len(values)
    out = []
    for i in range(n):
        lo, hi = max(0, i - k), min(n, i + k + 1)
        out.append((c[hi] - c[lo]) / (hi - lo))
    return out


def _distance(flags: list[bool], forward: bool) -> list[float]:
    """Return, per line, how many lines away the nearest flagged line is (after it, or before it)."""
    n = len(flags)
    out = [float(n)] * n
    last = None
    order = range(n - 1, -1, -1) if forward else range(n)
    for i in order:
        if last is not None:
            out[i] = float(abs(last - i))
        if flags[i]:
            last = i
    return out


def _run_lengths(flags: list[bool]) -> list[int]:
    """Return, per position, the length of the run of True values it belongs to (0 when False)."""
    out = [0] * len(flags)
    i = 0
    while i < len(flags):
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < len(flags) and flags[j]:
            j += 1
        out[i:j] = [j - i] * (j - i)
        i = j
    return out
