"""Phrase, proximity and regex totals against a brute-force scan of the BBC News corpus (DESIGN.md §3).

The documents are cleaned exactly as `archive ingest` cleans them (`extract_file`) and written
through the engine, with the two Korean texts of the samples; the scan (tests/scan.py, written
apart from the engine) reads the same cleaned title and text word by word and counts distinct
content hashes, as the engine's totals do. By default two of the five categories are indexed
(911 files, 61 duplicate pairs) to keep the suite fast; `BBC_CATEGORIES=all` checks all 2,225 files.
"""

from __future__ import annotations

import os
import shutil

import pytest
from needs import SAMPLES
from scan import has_near, has_phrase, same, stem, tokens

from archive.archive import Archive
from archive.config import Settings
from archive.engine.whoosh.engine import WhooshEngine
from archive.ingest.extract import extract_file
from archive.render import snippet_html

CATEGORIES = ("business", "tech")
KOREAN = ("seoul-economic-review/2021-08-18-hyesan-border-closure-market-prices-ko.txt",
          "seoul-economic-review/2023-04-12-semiconductor-exports-fall-bok-holds-rate-ko.html")

PHRASES = [
    '"prime minister"', '"interest rates"', '"interest rate"', '"oil prices"', '"the company said"',
    '"state of the art"', '"chief executive"', '"mobile phone"', '"mobile phones"', '"told the BBC"',
    '"general election"', '"in the UK"', '"human rights"', '"last year"', '"e-mail"', '"U.S."',
    '"high street"', '"Chancellor Gordon Brown"', '"Bank of England"', '"Tony Blair\'s"', '"Tony Blair’s"',
    '"the number of"', '"it\'s"', '"£1bn"', '"broadband"', '"net profits"', '"of the"',
    '"interest rates"~2', '"prime minister"~3', '"music downloads"~1', '"said he would"~2',
    # possessives: the plain words find the possessive too; a possessive finds only itself
    '"prime minister\'s"', '"Tony Blair"', '"Blair\'s"', '"Bank of England\'s"', '"Six Nations"',
    '"chief executive\'s"', '"the company\'s"', '"the government\'s"', '"Microsoft\'s"', '"Apple\'s"',
    '"Mr Brown\'s"', '"the firm\'s"', '"Microsoft"', '"the firm"', '"the government"',
    # hyphens, numbers, abbreviations
    '"high-speed"', '"long-term"', '"third-quarter"', '"$1.5bn"', '"10%"', '"3.5%"', '"2004"', '"20 years"',
    '"US"', '"UK"', '"BBC"', '"EU"', '"Mr Blair"', '"G8"',
    # Korean (the two Korean samples)
    '"국경"', '"혜산"', '"반도체"', '"수출"',
]


@pytest.fixture(scope="module")
def bbc(tmp_path_factory, bbc_dir):
    """(archive on an index of the BBC files, their cleaned documents), built once."""
    root = bbc_dir
    wanted = os.environ.get("BBC_CATEGORIES", ",".join(CATEGORIES))
    cats = sorted(p.name for p in root.iterdir() if p.is_dir()) if wanted == "all" else wanted.split(",")
    files = [p for c in cats for p in sorted((root / c).glob("*.txt"))]
    docs = [extract_file(p, collection="bbc", root=root) for p in files]
    docs += [extract_file(SAMPLES / k, collection="samples", root=SAMPLES) for k in KOREAN]
    index = tmp_path_factory.mktemp("bbc-ix") / "index"
    engine = WhooshEngine.create(index)
    for i in range(0, len(docs), 500):  # several commits: several segments, as a real ingest makes
        engine.write(docs[i : i + 500])
    engine.close()
    # Tokenise each cleaned text once, as the analyser does: (content hash, title words, text words, stems).
    scanned = [(d.content_hash, title, text, {stem(t) for t in title + text})
               for d in docs for title, text in [(tokens(d.title), tokens(d.text))]]
    with Archive(Settings(index=index, aliases="off")) as archive:
        yield archive, scanned
    shutil.rmtree(index, ignore_errors=True)


def _brute_force(scanned, phrase: str) -> int:
    body, _, slop = phrase.rpartition('"~') if '"~' in phrase else (phrase, "", "0")
    words = tokens(body.strip('"'))
    return len({h for h, title, text, _ in scanned
                if has_phrase(title, words, int(slop)) or has_phrase(text, words, int(slop))})


def test_bbc_phrase_totals_equal_a_brute_force_scan(bbc):
    archive, docs = bbc
    got = {p: archive.search(p, limit=0, facets=False).total for p in PHRASES}
    want = {p: _brute_force(docs, p) for p in PHRASES}
    assert got == want
    assert len(PHRASES) >= 60 and sum(1 for n in want.values() if n > 0) >= 50  # the check is not vacuous


def test_bbc_plain_words_in_quotes_find_their_possessives(bbc):
    archive, docs = bbc
    for plain, possessive in (('"prime minister"', '"prime minister\'s"'), ('"Tony Blair"', '"Tony Blair\'s"')):
        both, only = archive.search(plain, limit=0).total, archive.search(possessive, limit=0).total
        assert 0 < only < both == _brute_force(docs, plain)
        # without possessives, the plain phrase would find fewer texts than it does
        words = tokens(plain.strip('"'))
        strict = len({h for h, title, text, _ in docs
                      if any(t[i:i + len(words)] == words for t in (title, text) for i in range(len(t)))})
        assert strict < both


def _vocabulary(scanned) -> list[str]:
    words = {t for _, title, text, _ in scanned for t in title + text}
    return sorted({w[:-2] if w.endswith("'s") else w for w in words})


# (query, left side, right side, distance, ordered); a side is a list of word sequences, or
# ("prefix", p) / ("regex", r): the words of the scan's vocabulary that start with p / match r.
PROXIMITY = [
    ("government w/3 plan", [["government"]], [["plan"]], 3, False),
    ("government pre/3 plan", [["government"]], [["plan"]], 3, True),
    ("plan pre/3 government", [["plan"]], [["government"]], 3, True),
    ("oil w/5 prices", [["oil"]], [["prices"]], 5, False),
    ("oil pre/5 prices", [["oil"]], [["prices"]], 5, True),
    ("prices pre/5 oil", [["prices"]], [["oil"]], 5, True),
    ("prices w/1 oil", [["prices"]], [["oil"]], 1, False),
    ("interest w/2 rates", [["interest"]], [["rates"]], 2, False),
    ("mobile W/10 phones", [["mobile"]], [["phones"]], 10, False),
    ('"prime minister" w/5 blair', [["prime", "minister"]], [["blair"]], 5, False),
    ('"prime minister" pre/2 "tony blair"', [["prime", "minister"]], [["tony", "blair"]], 2, True),
    ("blair w/3 brown", [["blair"]], [["brown"]], 3, False),
    ("(oil OR gas) w/4 prices", [["oil"], ["gas"]], [["prices"]], 4, False),
    ("(broadband OR wireless) w/3 (users OR customers)", [["broadband"], ["wireless"]], [["users"], ["customers"]], 3,
     False),
    ("econom* w/3 growth", ("prefix", "econom"), [["growth"]], 3, False),
    ("/shares?/ pre/2 fell", ("regex", "shares?"), [["fell"]], 2, True),
    ("the w/1 the", [["the"]], [["the"]], 1, False),
    ("said pre/1 that", [["said"]], [["that"]], 1, True),
]


def _side(vocab: list[str], side) -> list[list[str]]:  # type: ignore[no-untyped-def]
    import re

    if isinstance(side, tuple):
        kind, arg = side
        found = [w for w in vocab if (w.startswith(arg) if kind == "prefix" else re.fullmatch(arg, w))]
        assert 0 < len(found) <= 50, (side, len(found))  # under the expansion cap: the total is exact
        return [[w] for w in found]
    return side


def test_bbc_proximity_totals_equal_a_brute_force_scan(bbc):
    archive, docs = bbc
    vocab = _vocabulary(docs)
    got, want = {}, {}
    for query, left, right, distance, ordered in PROXIMITY:
        result = archive.search(query, limit=0, facets=False)
        assert not result.partial and not result.messages, (query, result.messages)
        got[query] = result.total
        a, b = _side(vocab, left), _side(vocab, right)
        want[query] = len({h for h, title, text, _ in docs
                           if has_near(title, a, b, distance, ordered) or has_near(text, a, b, distance, ordered)})
    assert got == want
    assert sum(1 for n in want.values() if n > 0) >= 12
    assert want["oil pre/5 prices"] + want["prices pre/5 oil"] >= want["oil w/5 prices"] > want["oil pre/5 prices"] > 0


def test_bbc_proximity_combines_with_fields_and_boolean_logic(bbc):
    archive, docs = bbc
    near = {h for h, _, text, _ in docs if has_near(text, [["oil"]], [["prices"]], 3, False)}
    near |= {h for h, title, _, _ in docs if has_near(title, [["oil"]], [["prices"]], 3, False)}
    in_title = {h for h, title, _, _ in docs if has_near(title, [["oil"]], [["prices"]], 3, False)}
    phrase = {h for h, title, text, _ in docs if has_phrase(title, ["opec"]) or has_phrase(text, ["opec"])}
    assert archive.search("title:(oil w/3 prices)", limit=0).total == len(in_title) > 0
    assert archive.search('oil w/3 prices "opec"', limit=0).total == len(near & phrase) > 0
    assert archive.search('oil w/3 prices -"opec"', limit=0).total == len(near - phrase) > 0
    assert archive.search('(oil w/3 prices) OR "opec"', limit=0).total == len(near | phrase)
    # Whoosh's own matchers (citations, exports by date) find the same texts as the numpy count
    for query in ("(oil OR gas) w/4 prices", '"prime minister" pre/2 "tony blair"'):
        assert len(archive.listing(query)) == archive.search(query, limit=0).total > 0
        assert len(list(archive.export(query, sort="newest"))) == archive.search(query, limit=0).total


def test_bbc_proximity_marks_both_sides_in_snippets(bbc):
    archive, _ = bbc
    result = archive.search('"prime minister" pre/2 "tony blair"', limit=3)
    assert result.hits
    for hit in result.hits:
        text = " ".join(map(snippet_html, hit.snippets)).lower()
        assert "<mark>prime minister</mark>" in text and "<mark>tony blair" in text


REGEX = ["/colou?r/", "/organi[sz]ation/", "/kim.*/", "/[0-9]+bn/", "/micro.+/", "/e?mail/"]


def test_bbc_regex_totals_equal_a_brute_force_scan(bbc):
    import re

    archive, docs = bbc
    vocab = _vocabulary(docs)
    for query in REGEX:
        words = [w for w in vocab if re.fullmatch(query.strip("/"), w)]
        result = archive.search(query, limit=0, facets=False)
        if len(words) > 50:  # capped: the 50 most common words, and the result says so
            assert result.partial and any("most common were used" in m for m in result.messages), query
            assert 0 < result.total
            continue
        want = len({h for h, title, text, _ in docs if any(same(t, w) for t in title + text for w in words)})
        assert (result.total, result.partial) == (want, False), query


@pytest.mark.parametrize("query,says", [
    ("/[a/", "not a valid regular expression"), ("/.*/", "matches an empty word"), ("/\\w+/", "too broad"),
    ("/(a/", "not a valid regular expression"),
])
def test_bad_regex_terms_say_why(bbc, query, says):
    archive, _ = bbc
    result = archive.search(f"economy {query}", limit=0)
    assert any(says in m for m in result.messages), result.messages
    assert result.total == archive.search("economy", limit=0).total


def test_bbc_everything_counts_identical_texts_once(bbc):
    archive, scanned = bbc
    assert archive.search("*", limit=0).total == len({s[0] for s in scanned}) < len(scanned)


WORDS = ["the", "said", "oil", "economy", "prices", "film", "election", "broadband", "goal"]


def test_bbc_word_totals_with_a_page_of_hits_equal_a_brute_force_scan(bbc):
    # The page's top-N collector skips documents that cannot rank; the total must not.
    archive, scanned = bbc
    for word in WORDS:
        want = len({h for h, _, _, stems in scanned if stem(word) in stems})
        result = archive.search(word, limit=10)
        assert (result.total, len(result.hits)) == (want, min(10, want)), word


def test_bbc_quoted_phrase_is_narrower_than_its_stemmed_words(bbc):
    archive, _ = bbc
    assert archive.search('"interest rates"', limit=0).total < archive.search("interest rates", limit=0).total


def test_bbc_pagination_and_export_reach_every_result(bbc):
    archive, _ = bbc
    for query, page in (('"prime minister"', 100), ("oil", 7)):
        total = archive.search(query, limit=0).total
        paged = [h.id for off in range(0, total, page) for h in archive.search(query, limit=page, offset=off).hits]
        exported = [h.id for h in archive.export(query)]
        assert len(paged) == len(set(paged)) == total == len(exported), query
        assert set(paged) == set(exported)


def test_bbc_time_budget_stops_a_wide_query_and_says_so(bbc):
    archive, _ = bbc
    result = archive.search("the", time_budget=0)
    assert result.partial and not result.total_exact
    assert any("stopped after" in m for m in result.messages)
    assert archive.search("the").total_exact
