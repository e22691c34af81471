"""Search on a real index on disk: totals, phrases against stemming, fields, highlighting, duplicates."""

from __future__ import annotations

import re

import pytest
from indexes import build_index

from archive.archive import Archive
from archive.config import Settings
from archive.engine.whoosh.analysis import exact_words
from archive.render import snippet_html

DOCS = {
    "a.txt": "Border closes at dawn\n\nThe border closes at dawn and the market closed early. Oil prices rose.",
    "b.txt": "Trade slows\n\nThe border closed last week. Oil and gas prices fell while oil, prices of grain held.",
    "c.txt": "Korea’s exports\n\nKorea's exports of chips grew. Kim Jong-un visited a factory.",
    "d.txt": "State of the art\n\nA state of the art port opened. The state art fund paid.",
    "e.txt": "Border closes at dawn\n\nThe border closes at dawn and the market closed early. Oil prices rose.",
    "f.txt": "국경 봉쇄\n\n김정은은 혜산을 방문했다. 국경 무역이 줄었다.",
    "h.txt": "长白县边境\n\n长白朝鲜族自治县与惠山市隔鸭绿江相望，边境贸易减少。",
    "g.html": "<html lang='en'><head><title>Tags &lt;script&gt;</title></head><body><article><h1>Tags</h1>"
              "<p>Researchers wrote &lt;script&gt;alert(1)&lt;/script&gt; in the page about oil prices and much "
              "more text so that the extractor keeps this paragraph as the main text of the page for the test.</p>"
              "</article></body></html>",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    src = tmp_path_factory.mktemp("src") / "news"
    src.mkdir()
    for name, text in DOCS.items():
        (src / name).write_text(text, encoding="utf-8")
    index = tmp_path_factory.mktemp("ix") / "index"
    build_index([src], index)
    with Archive(Settings(index=index)) as a:
        yield a


def titles(result):
    return sorted(h.title for h in result.hits)


def test_unquoted_words_match_their_inflections(archive):
    assert archive.search("border closes").total == 2  # a/e (one text), b ("closed")


def test_quoted_phrase_matches_only_the_words_as_written(archive):
    result = archive.search('"border closes"')
    assert result.total == 1
    assert titles(result) == ["Border closes at dawn"]


def test_identical_texts_are_one_result_listing_both_paths(archive):
    hit = archive.search('"border closes"').hits[0]
    assert sorted(p.rsplit("/", 1)[1] for p in hit.paths) == ["a.txt", "e.txt"]


def test_phrase_keeps_stop_words(archive):
    assert titles(archive.search('"state of the art"')) == ["State of the art"]
    assert archive.search('"state art"').total == 1  # "state art fund" only, same document


def test_phrase_ignores_punctuation_between_words(archive):
    # "oil, prices" in b matches like "oil prices" in a (as in Lucene and Elasticsearch).
    assert archive.search('"oil prices"').total == 3


def test_apostrophe_forms_match_alike(archive):
    for q in ("Korea’s", "Korea's", "Koreas", '"Korea\'s exports"'):
        assert archive.search(q).total == 1, q


def test_hyphenated_name_finds_spaced_name(archive):
    assert archive.search("Jong-un", aliases=False).total == 1
    assert archive.search('"Kim Jong Un"', aliases=False).total == 1


def test_or_not_and_fields(archive):
    assert archive.search("chips OR grain").total == 2
    assert archive.search("oil -gas").total == 2
    assert archive.search("title:dawn").total == 1
    assert archive.search("source:news oil").total == 3
    assert archive.search("source:elsewhere oil").total == 0


def test_korean_word_is_found_inside_a_longer_run(archive):
    assert archive.search("김정은", aliases=False).total == 1
    assert archive.search("혜산", aliases=False).total == 1
    assert archive.search("lang:ko").total == 1


def test_chinese_word_is_found_inside_a_longer_run(archive):
    assert archive.search("惠山", aliases=False).total == 1
    assert archive.search("鸭绿江", aliases=False).total == 1
    assert archive.search("绿江相", aliases=False).total == 1  # any run of characters, as a phrase of bigrams
    assert archive.search("江鸭", aliases=False).total == 0
    marks = re.findall(r"<mark>(.*?)</mark>", " ".join(map(snippet_html, archive.search("鸭绿江").hits[0].snippets)))
    assert marks == ["鸭绿江"]


def test_phrase_highlight_marks_the_phrase_not_lone_words(archive):
    hit = archive.search('"oil prices"', limit=10).hits
    snippet = " ".join(snippet_html(s) for h in hit for s in h.snippets)
    marks = re.findall(r"<mark>(.*?)</mark>", snippet)
    assert marks and all(m.lower().replace(",", "") == "oil prices" for m in marks), marks


def test_snippets_escape_document_markup(archive):
    hit = archive.search("researchers").hits[0]
    joined = "".join(map(snippet_html, hit.snippets))
    assert "<script>" not in joined and "&lt;script&gt;" in joined


def test_prefix_and_fuzzy_terms(archive):
    assert archive.search("export*").total == 1
    assert archive.search("factorx~").total == 1
    assert archive.search("factroy~2").total == 1  # a transposition is two edits


def test_punctuation_queries_return_results_or_a_plain_message(archive):
    from archive.errors import BadQuery

    for q in ["C++", "U.S.", "3.5%", "e-mail", '"', "AND OR", "(((", "title:", "x" * 5000]:
        try:
            archive.search(q)
        except BadQuery as exc:
            assert str(exc)


def test_pagination_reaches_every_result(archive):
    seen = [h.id for off in range(0, 10) for h in archive.search("the", limit=1, offset=off).hits]
    assert len(seen) == len(set(seen)) == archive.search("the").total


def test_phrase_total_equals_brute_force_count(archive):
    docs = {}
    for name, text in DOCS.items():
        if name.endswith(".txt"):
            docs.setdefault(" ".join(text.split()), text)
    words = exact_words("oil prices")
    brute = 0
    for text in docs.values():
        tokens = exact_words(text)
        brute += any(tokens[i : i + len(words)] == words for i in range(len(tokens)))
    # g.html also contains the phrase; the .txt duplicates count once.
    assert archive.search('"oil prices"').total == brute + 1
