"""The highlighter's one-pass tokenizer gives exactly the analysers' tokens (what the index holds)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.engine.analysis import token_spans
from archive.engine.spans import _tokens

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
