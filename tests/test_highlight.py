"""Highlighting from match spans: phrase- and proximity-accurate, HTML-safe, densest passages first."""

from __future__ import annotations

import re

from archive.engine.plan import Plan
from archive.engine.spans import find_matches, find_spans
from archive.engine.whoosh.analysis import exact_words, stemmed_words
from archive.highlight import merge_spans, snippets
from archive.render import html, snippet_html


def plan(*patterns: tuple[str, str, str, int]) -> Plan:
    p = Plan()
    for label, kind, text, slop in patterns:
        words = tuple(stemmed_words(text) if kind == "stem" else exact_words(text))
        p.add(label, kind, words, slop)
    return p


def marked(text: str, p: Plan) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html(text, merge_spans(find_spans(text, p))))


def test_phrase_marks_the_phrase_not_lone_words():
    text = "Oil rose. Oil prices fell, and oil, prices of grain held; prices of oil too."
    assert marked(text, plan(("oil prices", "phrase", "oil prices", 0))) == ["Oil prices", "oil, prices"]


def test_proximity_is_not_greedy():
    # "a b b x c" with at most one word between each: the second "b" completes the phrase.
    text = "alpha beta beta x gamma"
    assert marked(text, plan(("p", "phrase", "alpha beta gamma", 1))) == ["alpha beta beta x gamma"]
    assert marked(text, plan(("p", "phrase", "alpha beta gamma", 0))) == []


def test_proximity_keeps_word_order():
    assert marked("trade at the border", plan(("p", "phrase", "border trade", 3))) == []
    assert marked("border and river trade", plan(("p", "phrase", "border trade", 3))) == ["border and river trade"]


def test_stemmed_word_marks_its_inflections():
    text = "The border closed; borders close; it closes."
    assert marked(text, plan(("closes", "stem", "closes", 0))) == ["closed", "close", "closes"]


def test_matches_carry_their_labels():
    text = "Kimhyongjik County, formerly Huchang County."
    p = plan(("Kimhyongjik", "stem", "Kimhyongjik", 0), ("Huchang", "word", "Huchang", 0))
    assert sorted(label for label, _, _ in find_matches(text, p)) == ["Huchang", "Kimhyongjik"]


def test_marks_beyond_whoosh_charlimit():
    text = "filler " * 6000 + "the oil prices rose"
    out = snippets(text, find_spans(text, plan(("oil prices", "phrase", "oil prices", 0))), 1)
    assert len(text) > 32_768 and "<mark>oil prices</mark>" in snippet_html(out[0])


def test_output_is_html_safe():
    text = 'A <script>alert("x")</script> & oil <b>prices</b>'
    out = html(text, merge_spans(find_spans(text, plan(("oil", "word", "oil", 0), ("prices", "word", "prices", 0)))))
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out and "<mark>oil</mark>" in out


def test_snippets_come_from_the_densest_passage():
    sparse = "oil " + "word " * 200
    dense = "oil prices and oil and more oil here. " + "word " * 200
    text = sparse + dense
    spans = find_spans(text, plan(("oil", "word", "oil", 0)))
    best = snippets(text, spans, 1)[0]
    assert snippet_html(best).count("<mark>") == 3


def test_snippets_are_returned_in_text_order_and_do_not_overlap():
    text = ("oil " + "word " * 100) * 4
    out = snippets(text, find_spans(text, plan(("oil", "word", "oil", 0))), 3)
    assert len(out) == 3 and all(snippet_html(s).count("<mark>") == 1 for s in out)


def test_cpp_is_one_token_on_both_sides():
    assert exact_words("C++ and Series C") == ["c++", "and", "series", "c"]
    assert marked("We use C++ daily. Series C round.", plan(("C++", "stem", "C++", 0))) == ["C++"]


def test_token_spans_equal_the_index_analysers(samples_dir):
    from archive.engine.whoosh.analysis import EXACT, STEMMED, token_spans

    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(samples_dir.rglob("*.txt"))]
    texts.append("C++ C# F# Korea’s ‘quoted’ 김정은은 e-mail U.S. 3.5% naïve Ærø ﬁnance")
    for text in texts:
        for stemmed, analyzer in ((False, EXACT), (True, STEMMED)):
            expected = [(t.text, t.startchar, t.endchar) for t in analyzer(text, chars=True)]
            if not stemmed:  # the exact field also holds a possessive's plain word at its position
                plain = [(w, a, b) for (w, a, b), prev in zip(expected[1:], expected) if a == prev[1]]
                possessive = [e for e in expected if e[0].endswith("'s")]
                assert all(w + "'s" == p[0] for (w, a, _), p in zip(plain, possessive))
                expected = [e for e in expected if e not in plain]
            assert token_spans(text, stemmed) == expected
