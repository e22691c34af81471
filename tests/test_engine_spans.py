"""The highlighter's one-pass tokenizer gives exactly the analysers' tokens (what the index holds)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.engine.plan import Plan
from archive.engine.spans import _raw_tokens, _token_matches, _tokens, find_matches, phrase_spans
from archive.engine.whoosh.analysis import token_spans

# Letters, digits, marks, CJK and Hangul, apostrophes, `+`, `#`, `_` and spaces: the characters
# the token pattern treats specially.
ALPHABET = st.sampled_from(list("aZé9_ +#'’ʼ-.\n") + ["\u0301", "中", "文", "한", "국", "ア", "Ⅻ", "ﬁ", "٣"])


def _check(text: str) -> None:
    stemmed, exact = _tokens(text, True)
    assert stemmed == token_spans(text, stemmed=True)
    assert exact == token_spans(text)
    assert _tokens(text, False)[1] == exact


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=40))
def test_tokens_equal_the_analysers_on_odd_text(text):
    _check(text)


def test_tokens_equal_the_analysers_on_the_samples(samples_dir):
    for path in sorted(samples_dir.rglob("*"))[:40]:
        if path.is_file():
            _check(path.read_text(encoding="utf-8", errors="replace"))
    _check("C++ and C# beat F#; Kim Jong-un’s café in 長白朝鮮族自治縣 and 국경무역; snake_case_words")


def _reference_matches(text: str, plan: Plan) -> list:
    """The matches as found before the one-pass tokenizer: from `analysis.token_spans`."""
    out: list = []
    for kind, stemmed in (("stem", True), ("word", False)):
        labels: dict = {}
        for p in plan.patterns:
            if p.kind == kind:
                labels.setdefault(p.words[0], []).append(p.label)
        out += [(label, s, e) for term, s, e in token_spans(text, stemmed) for label in labels.get(term, ())]
    for p in plan.patterns:
        if p.kind == "phrase":
            out += [(p.label, s, e) for s, e in phrase_spans(token_spans(text), p.words, p.slop)]
    return sorted(out)


@settings(max_examples=300, deadline=None)
@given(st.text(ALPHABET, max_size=60), st.data())
def test_matches_equal_the_reference_on_odd_text(text, data):
    exact = [t for t, _, _ in token_spans(text)] or ["a"]
    stems = [t for t, _, _ in token_spans(text, stemmed=True)] or ["a"]
    plan = Plan()
    plan.add("s", "stem", (data.draw(st.sampled_from(stems)),))
    plan.add("w", "word", (data.draw(st.sampled_from(exact)),))
    start = data.draw(st.integers(0, len(exact) - 1))
    plan.add("p", "phrase", tuple(exact[start : start + data.draw(st.integers(1, 3))]), data.draw(st.integers(0, 2)))
    assert sorted(find_matches(text, plan)) == _reference_matches(text, plan)


def test_matches_equal_the_reference_on_the_samples(samples_dir):
    plan = Plan()
    for label, kind, words in (("oil", "stem", ("oil",)), ("said", "stem", ("said",)), ("the", "word", ("the",)),
                               ("of the", "phrase", ("of", "the")), ("kim", "word", ("kim",)),
                               ("prices", "stem", ("price",)), ("closes", "stem", ("close",)),
                               ("oil price", "phrase", ("oil", "price"))):
        plan.add(label, kind, words)
    text = "Prices rose, pricing closed; the price closes. Oil's price."
    assert sorted(find_matches(text, plan)) == _reference_matches(text, plan)
    assert [(s, e) for label, s, e in find_matches(text, plan) if label == "oil price"] == [(47, 58)]  # the possessive
    assert [label for label, _, _ in find_matches(text, plan)].count("prices") == 4  # Prices, pricing, price, price
    for path in sorted(samples_dir.rglob("*"))[:40]:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert sorted(find_matches(text, plan)) == _reference_matches(text, plan)


# Without CJK, "+" and "#": texts whose words and stems are matched without placing every token.
PLAIN = st.sampled_from(list("aZé9_ 'ʼ‘’ʻ＇-.\n") + ["\u0301", "Ⅻ", "ﬁ", "٣", "ß", "İ"])


def _words_only(text: str, stems: list[str], words: list[str]) -> Plan:
    plan = Plan()
    for k, stem in enumerate(stems):
        plan.add(f"s{k % 2}", "stem", (stem,))
    for k, word in enumerate(words):
        plan.add(f"w{k % 2}", "word", (word,))
    return plan


def _check_words_only(text: str, plan: Plan) -> None:
    """The matches are those of every token, in the same order, and those of the analysers."""
    got = find_matches(text, plan)
    stems = [p for p in plan.patterns if p.kind == "stem"]
    words = [p for p in plan.patterns if p.kind == "word"]
    assert got == _token_matches(_raw_tokens(text), stems, words)
    assert sorted(got) == _reference_matches(text, plan)


@settings(max_examples=500, deadline=None)
@given(st.text(PLAIN, max_size=80), st.data())
def test_words_and_stems_alone_match_as_every_token_does(text, data):
    exact = [t for t, _, _ in token_spans(text)] or ["a"]
    stems = [t for t, _, _ in token_spans(text, stemmed=True)] or ["a"]
    pick = st.lists(st.sampled_from(exact + ["a", "z"]), max_size=3)
    plan = _words_only(text, data.draw(st.lists(st.sampled_from(stems), max_size=3)), data.draw(pick))
    _check_words_only(text, plan)


def test_words_and_stems_alone_match_as_every_token_does_on_the_samples(samples_dir):
    plan = _words_only("", ["oil", "said", "price", "close"], ["the", "kim", "oil's", "don't", "prices"])
    for text in ("Prices rose, pricing closed; the price closes. Oil's price; don't, don’t, isn't-it's",
                 "said_said said'said 'said said' unsaid SAID Said. x'said o’said"):
        _check_words_only(text, plan)
    for path in sorted(samples_dir.rglob("*"))[:40]:
        if path.is_file():
            _check_words_only(path.read_text(encoding="utf-8", errors="replace"), plan)
