"""The learned line classifier: shipped as package data, scored with numpy, reading context, cautious with prose."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from archive.clean import clean_text, features
from archive.clean.classify import PROSE_WORDS, LineModel, default_model
from archive.clean.features import context_features, context_width, line_tokens
from archive.clean.kinds import CONTENT, KINDS, REASONS

ROOT = Path(__file__).resolve().parent.parent
MENU = ["Home", "News", "World", "Business", "Sport", "Culture", "Opinion", "Video", "Login"]
ARTICLE = [
    "Ferry fares rise as fuel costs bite",
    ("The island ferry operator will add a fuel surcharge to every ticket from next month, blaming the "
     "rising price of marine diesel for a sharp increase in its running costs."),
    "Islanders fear knock-on costs",
    ("Shopkeepers on the island said the surcharge would push up the price of goods that arrive by "
     "ferry, from fresh food to building materials, and called on the council to step in."),
    ("The operator said the surcharge would be reviewed every three months and removed when fuel "
     "prices fall back to last year's level."),
]
RELATED = ["Ferry operator cancels winter timetable", "Harbour dues to rise in spring",
           "Islanders vote on new causeway", "Fuel duty freeze extended for a year"]


def test_shipped_model_loads_with_its_kinds_and_a_threshold():
    model = default_model()
    assert isinstance(model, LineModel)
    assert model.kinds == KINDS and set(REASONS) == set(KINDS) - {CONTENT}
    assert 0.3 <= model.threshold < 1.0
    assert model.mean.shape == (context_width(len(KINDS)),)


def test_a_model_for_other_kinds_is_refused(tmp_path):
    model = default_model()
    other = LineModel(KINDS[:-1], model.vocab, model.w1[:, :-1], model.b1[:-1], model.prose[:-1], model.mean,
                      model.scale, model.hidden_w, model.hidden_b, model.out_w[:, :-1], model.out_b[:-1],
                      model.threshold)
    path = tmp_path / "m.npz"
    other.save(str(path))
    with pytest.raises(ValueError, match="other features or kinds"):
        LineModel.load(path.read_bytes())


def test_a_saved_model_scores_as_the_shipped_one(tmp_path):
    model = default_model()
    path = tmp_path / "m.npz"
    model.save(str(path))
    again = LineModel.load(path.read_bytes())
    lines = ARTICLE + MENU
    assert np.allclose(again.probabilities(lines), model.probabilities(lines), atol=1e-4)


def test_probabilities_are_one_row_per_line_summing_to_one():
    probs = default_model().probabilities(ARTICLE + RELATED)
    assert probs.shape == (len(ARTICLE) + len(RELATED), len(KINDS))
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_context_changes_the_verdict_on_the_same_short_line():
    # A short headline-like line is a subheading between paragraphs, a related headline in a list
    # of them after the last paragraph: the same words, judged by their place.
    model = default_model()
    content = KINDS.index(CONTENT)
    heading_at = 2
    inside = model.probabilities(ARTICLE)[heading_at, content]
    tail = ARTICLE + ["More stories"] + RELATED
    listed = model.probabilities(tail)[len(ARTICLE) + 2, content]
    assert inside > 0.5 > listed


def test_line_tokens_name_words_shape_and_rules():
    toks = line_tokens("Subscribe to our newsletter for 2 free weeks!", ("promo",))
    assert {"w=subscribe", "b=our_newsletter", "f=subscribe", "l=weeks", "rule=promo", "p=!"} <= set(toks)
    assert "w=0" in toks  # digits are folded


def test_marks_are_those_every_pattern_finds():
    """A line's marks (url, date, cjk, ...) are searched only where the line holds what a pattern
    needs (a digit, "@", ...): the names are those of a search with every pattern."""
    import random


    rng = random.Random(4)
    # Arabic-Indic and fullwidth digits, Han, Hangul, the Kelvin sign and the long s (which fold to k and s)
    alphabet = "aZk0 9_@#.:/-\u0661\uff12\u5e74\uc11c\u00e9\u212a\u017f"
    lines = ["IMG_2041 photo", "call at 10:30 am", "5 March 2020", "mail a@b.com", "#tag @handle", "www.x.com",
             "\u0663 \u0645\u0627\u0631\u0633 \u0662\u0660\u0662\u0660", "\uff12\uff10\uff12\uff10\u5e74", "x_y"]
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    found = set()
    for line in lines:
        every = [name for name, rx, _ in features._MARKS if rx.search(line)]
        assert [t for t in line_tokens(line) if t in dict.fromkeys(n for n, _, _ in features._MARKS)] == every, line
        found.update(every)
    assert found == {name for name, _, _ in features._MARKS}


def test_context_vectors_have_the_models_width():
    probs = np.full((4, len(KINDS)), 1 / len(KINDS))
    assert context_features(probs, ["a", "b c", "d e f", "g"]).shape == (4, context_width(len(KINDS)))


def test_classifier_removes_a_scraped_menu_and_keeps_the_article():
    cleaned = clean_text("\n".join(ARTICLE[:1] + MENU + ARTICLE[1:]))
    removed = {r.text for r in cleaned.removed}
    assert len(removed & set(MENU)) >= len(MENU) // 2
    for line in ARTICLE:
        assert line in cleaned.text
    assert all("line classifier" in r.reason for r in cleaned.removed)


def test_long_prose_is_never_removed_by_the_classifier():
    sentence = ("Readers who subscribe to the newsletter, share articles with friends, follow the paper on "
                "social media or download its app were asked in the survey how often they still read the "
                "print edition, and most of them said that they had stopped buying it years ago.")
    assert len(sentence.split()) >= PROSE_WORDS
    cleaned = clean_text("\n\n".join(ARTICLE + [sentence]))
    assert sentence in cleaned.text


def test_without_the_classifier_the_menu_stays():
    cleaned = clean_text("\n".join(ARTICLE[:1] + MENU + ARTICLE[1:]), model=None)
    assert cleaned.removed == []


def test_installed_package_ships_the_rules_and_the_model(tmp_path):
    # Build the package as an install would lay it out (no editable paths), then load from there:
    # the rules, the line model and the story signatures' permutations are package data.
    lib = tmp_path / "lib"
    subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                    "--build-lib", str(lib)], cwd=ROOT, check=True, capture_output=True)
    probe = ("import archive.clean.classify as c, archive.clean.rules as r, archive.stories as s; "
             "print(c.__file__); print(c.default_model() is not None, len(r.generic_rules()) > 10, "
             "len(s._permutations()[0]) == s.NUM_PERM)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(lib)},
                         check=True, capture_output=True, text=True).stdout.split("\n")
    assert out[0].startswith(str(lib))
    assert out[1] == "True True True"


def _reference_words(text: str) -> list[str]:
    """A line's words as the features name them: lower-cased, each word's digit runs folded to "0"."""
    import re

    return [re.sub(r"\d+", "0", w) for w in re.findall(r"[^\W_]+", text.lower())]


def test_feature_columns_are_those_of_the_named_features():
    """`FeatureIndex.columns` finds a line's words and word pairs without naming them: its columns,
    in order, are those of `line_tokens`' names looked up in the vocabulary (the shipped model's,
    and one holding every feature of the lines), on the corpora's lines and on generated ones with
    digits of other scripts, underscores and marks. The words are those of a word-by-word fold."""
    import random

    from archive.clean.features import FeatureIndex

    lines = []
    for folder in ("seeds", "bbc-news", "html-sample"):
        for path in sorted((ROOT.parent / "shared" / "corpora" / folder).rglob("*"))[:300]:
            if path.is_file() and path.stat().st_size < 200_000:
                lines += [x for x in path.read_text(errors="replace").splitlines() if x.strip()][:200]
    rng = random.Random(9)
    alphabet = "aZk0 9_@#.:/-\u0661\uff12\u5e74\uc11c\u00e9\u212a\u017f\u00b2"
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    lines += ["IMG_2041 photo 3x4", "Call 0800-123 456 now", "\u0663\u0664 items in 2024a"]
    assert len(lines) > 5000
    every: dict[str, int] = {}
    for line in lines:
        for t in line_tokens(line, ("promo",)):
            every.setdefault(t, len(every))
    for vocab in (default_model().vocab, every):
        index = FeatureIndex(vocab)
        for line in lines:
            for rules in ((), ("promo", "share")):
                named = line_tokens(line, rules)
                assert index.columns(line, rules) == [vocab[t] for t in named if t in vocab], line
    for line in lines:
        assert {t for t in line_tokens(line) if t.startswith("w=")} == {f"w={w}" for w in _reference_words(line)}


def test_the_marks_patterns_match_the_lines_their_first_forms_matched():
    """The date, time, year and mixed-word marks are found in a quicker way than their first forms
    (a test first of what a match needs where it starts; the runs of word characters that hold a
    digit); each must be found in exactly the lines its first form matches (corpus lines and
    generated ones with dates, times, codes, digits of other scripts and letters whose case folds
    into ASCII)."""
    import random
    import re


    first_forms = {
        "date": re.compile(
            r"\b(19|20)\d\d[-./](0?[1-9]|1[0-2])[-./]\d{1,2}\b|"
            r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
            r"\b\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE),
        "time": re.compile(r"\b\d{1,2}[:.]\d\d\s*(am|pm|a\.m\.|p\.m\.)?|\b\d{1,2}\s*(am|pm)\b", re.IGNORECASE),
        "mixed_word": re.compile(r"\b(?=\w*[a-z])(?=\w*\d)\w{4,}\b|\w_\w", re.IGNORECASE),
        "year": re.compile(r"\b(19|20)\d\d\b"),
    }
    lines = []
    for folder in ("seeds", "bbc-news", "html-sample"):
        for path in sorted((ROOT.parent / "shared" / "corpora" / folder).rglob("*"))[:300]:
            if path.is_file() and path.stat().st_size < 200_000:
                lines += [x for x in path.read_text(errors="replace").splitlines() if x.strip()][:200]
    pieces = ["2024-01-05", "1999/12/31", "Sept. 3", "3 Sep", "12 December", "\u017fep 4", "10:30 p.m.", "9 am",
              "7.45pm", "IMG_2041", "abc1", "A1B2", "x_y", "_a", "12345", "\u0663\u0664 items", "\u212a9\u212a9",
              "Mon", "on", "at", "-", "/", ".", " ", "19", "20", "2", "pm", "1999", "2024's", "x_1999", "\u0661\u0669",
              "１９９９", "a1b", "ab1c", "\u017f1ab", "\u212a123", "_", "a_", "19\u00b2\u00b2", "20\u00b9\u2074"]
    pieces += "Jan feb Mar apr MAY jun Jul aug Sep oct Nov dec October".split()
    rng = random.Random(8)
    lines += ["".join(rng.choice(pieces) + rng.choice(["", " ", "-"]) for _ in range(rng.randint(1, 8)))
              for _ in range(20_000)]
    digit = re.compile(r"\d")
    for name, first in first_forms.items():
        assert sum(bool(first.search(line)) for line in lines) > 1000
        for line in lines:
            assert (name in features._marks(line, bool(digit.search(line)))) == bool(first.search(line)), (name, line)



def _columnwise_context(probs: np.ndarray, texts: list[str]) -> np.ndarray:
    """The context vectors computed a numpy operation per column (as first written): the reference.

    :param probs: the first stage's kind probabilities, one row per line (column 0 is content).
    :param texts: the lines.
    """
    n, k = probs.shape
    nw = np.array([len(t.split()) for t in texts], dtype=np.float64)
    sent = np.array([1.0 if features.SENTENCE_END.search(t.strip()) else 0.0 for t in texts])
    content = probs[:, 0]
    mass = content * nw  # likely article words per line
    total = max(1.0, float(mass.sum()))
    after = (np.cumsum(mass[::-1])[::-1] - mass) / total
    before = (np.cumsum(mass) - mass) / total
    # Is there a real paragraph (likely content, 15+ words) after / before this line?
    para = (content > 0.5) & (nw >= 15)
    para_after = np.concatenate([np.cumsum(para[::-1])[::-1][1:], [0]]) > 0
    para_before = np.concatenate([[0], np.cumsum(para)[:-1]]) > 0
    short = nw <= 8
    run = _ref_run_lengths(short)
    same_text = _ref_repeats(texts)
    cols = [probs]
    for d in features._OFFSETS:
        shifted = np.zeros_like(probs)
        missing = np.zeros(n)
        if d < 0:
            shifted[-d:] = probs[:d]
            missing[: min(n, -d)] = 1.0
        else:
            shifted[:-d] = probs[d:]
            missing[max(0, n - d):] = 1.0
        cols.append(shifted)
        cols.append(missing[:, None])
    pos = np.arange(n, dtype=np.float64)
    last = max(1, n - 1)
    prev_nw = np.concatenate([[0.0], nw[:-1]])
    next_nw = np.concatenate([nw[1:], [0.0]])
    prev_sent = np.concatenate([[1.0], sent[:-1]])
    next_sent = np.concatenate([sent[1:], [1.0]])
    window = _ref_window_mean(content, 5)
    dense = np.stack([
        np.log1p(nw), sent, pos / last, (pos == 0).astype(float), (pos == n - 1).astype(float),
        (pos >= n - 3).astype(float), np.full(n, math.log1p(n)), after, before,
        para_after.astype(float), para_before.astype(float), np.log1p(run) * short,
        np.log1p(prev_nw), np.log1p(next_nw), prev_sent, next_sent, same_text, window,
        np.log1p(_ref_distance(para, forward=True)), np.log1p(_ref_distance(para, forward=False)),
        np.full(n, float(content.mean())), np.full(n, float(para.sum() > 0)),
    ], axis=1)
    cols.append(dense)
    return np.concatenate(cols, axis=1)


def _ref_window_mean(values: np.ndarray, k: int) -> np.ndarray:
    """Return the mean of values over the k lines before and after each line (itself included)."""
    c = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(len(values))
    lo, hi = np.maximum(0, idx - k), np.minimum(len(values), idx + k + 1)
    return (c[hi] - c[lo]) / (hi - lo)


def _ref_distance(flags: np.ndarray, forward: bool) -> np.ndarray:
    """Return, per line, how many lines away the nearest flagged line is (after it, or before it)."""
    n = len(flags)
    out = np.full(n, float(n))
    last = None
    order = range(n - 1, -1, -1) if forward else range(n)
    for i in order:
        if last is not None:
            out[i] = abs(last - i)
        if flags[i]:
            last = i
    return out


def _ref_run_lengths(flags: np.ndarray) -> np.ndarray:
    """Return, per position, the length of the run of True values it belongs to (0 when False)."""
    from itertools import groupby

    out: list[float] = []
    for flag, run in groupby(flags.tolist()):
        size = len(list(run))
        out += [float(size) if flag else 0.0] * size
    return np.array(out, dtype=np.float64)


def _ref_repeats(texts: list[str]) -> np.ndarray:
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    return np.array([1.0 if counts[t] > 1 else 0.0 for t in texts])


def test_context_vectors_are_those_computed_column_by_column():
    """`context_features` works out a document's few lines in Python; every value must be bit for bit
    the one a numpy operation per column gives, on the corpora's documents scored by the shipped
    model and on generated ones (one line to hundreds, repeated lines, lines of every length)."""
    from archive.clean.text import split_lines

    model = default_model()
    cases = []
    for folder in ("seeds", "bbc-news", "html-sample"):
        for path in sorted((ROOT.parent / "shared" / "corpora" / folder).rglob("*"))[:120]:
            if path.is_file() and path.stat().st_size < 200_000:
                texts = [line.text for line in split_lines(path.read_text(errors="replace"))][:400]
                if texts:
                    cases.append((model.own_probabilities(texts), texts))
    rng = np.random.default_rng(1)
    for n in [*range(1, 40), 100, 500]:
        texts = [" ".join(["w"] * int(rng.integers(0, 40))) + str(rng.choice(["", ".", "?"])) for _ in range(n)]
        if n > 3:
            texts[1] = texts[2]
        cases.append((rng.dirichlet(np.ones(len(KINDS)), size=n), texts))
    assert len(cases) > 100
    for probs, texts in cases:
        assert np.array_equal(context_features(probs, texts), _columnwise_context(probs, texts))


@pytest.mark.parametrize("line, present, absent", [
    ("By Anna LEE", {"caps=5", "case2=upper", "fn=2"}, {"allcaps"}),  # every word capitalised; 1 of 3 a function word
    ("NEWS ALERT: OIL UP", {"allcaps", "caps=5"}, set()),
    ("A B c", {"caps=3"}, {"allcaps"}),  # 2 of 3 capitalised (0.67); one-letter words say nothing of all-caps
    ("the cat of the house", {"fn=3", "caps=0"}, {"allcaps"}),  # 3 of 5 function words: 0.6
    ("Home | News | Sport", {"seps=2"}, {"long_word"}),
    ("a " + "x" * 18 + " word", set(), {"long_word"}),
    ("a " + "x" * 19 + " word", {"long_word"}, set()),
    ("12 345", {"digits=3"}, {"caps=0", "allcaps"}),  # no word begins with a letter: no share of capitals
])
def test_shape_features_count_as_their_names_say(line, present, absent):
    """The counted shape features of a line, worked out by hand: the share of capitalised words, all
    capitals, the share of function words, separators, a word over 18 characters."""
    from archive.clean.features import line_tokens

    tokens = set(line_tokens(line))
    assert present <= tokens and not absent & tokens, sorted(tokens)
