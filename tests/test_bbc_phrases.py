"""Phrase totals against a brute-force scan of the BBC News corpus (issue 5, DESIGN.md §3).

The documents are cleaned exactly as `archive ingest` cleans them (`extract_file`) and written
through the engine; the scan tokenises the same cleaned title and text with the analyser's own
word function and counts distinct content hashes, as the engine's totals do. By default two of
the five categories are indexed (911 files, 61 duplicate pairs) to keep the suite fast;
`BBC_CATEGORIES=all` checks all 2,225 files.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import pytest

from archive.archive import Archive
from archive.config import Settings
from archive.engine import WhooshEngine
from archive.engine.analysis import exact_words, stemmed_words
from archive.extract import extract_file

UNPACKED = Path("/tmp/corpora/bbc")
TARBALL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news" / "bbc-fulltext.tar.gz"
TARBALL_SHARED = Path("/work/shared/corpora/bbc-news/bbc-fulltext.tar.gz")
CATEGORIES = ("business", "tech")

PHRASES = [
    '"prime minister"', '"interest rates"', '"interest rate"', '"oil prices"', '"the company said"',
    '"state of the art"', '"chief executive"', '"mobile phone"', '"mobile phones"', '"told the BBC"',
    '"general election"', '"in the UK"', '"human rights"', '"last year"', '"e-mail"', '"U.S."',
    '"high street"', '"Chancellor Gordon Brown"', '"Bank of England"', '"Tony Blair\'s"', '"Tony Blair’s"',
    '"the number of"', '"it\'s"', '"£1bn"', '"broadband"', '"net profits"', '"of the"',
    '"interest rates"~2', '"prime minister"~3', '"music downloads"~1', '"said he would"~2',
]


def _corpus(tmp_path_factory) -> Path:
    if UNPACKED.is_dir():
        return UNPACKED
    tarball = TARBALL if TARBALL.is_file() else TARBALL_SHARED
    if not tarball.is_file():
        pytest.skip(f"the BBC corpus is neither unpacked at {UNPACKED} nor packed at {tarball}")
    dest = tmp_path_factory.mktemp("bbc-src")
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return dest / "bbc"


@pytest.fixture(scope="module")
def bbc(tmp_path_factory):
    """(archive on an index of the BBC files, their cleaned documents), built once."""
    root = _corpus(tmp_path_factory)
    wanted = os.environ.get("BBC_CATEGORIES", ",".join(CATEGORIES))
    cats = sorted(p.name for p in root.iterdir() if p.is_dir()) if wanted == "all" else wanted.split(",")
    files = [p for c in cats for p in sorted((root / c).glob("*.txt"))]
    docs = [extract_file(p, collection="bbc", root=root) for p in files]
    index = tmp_path_factory.mktemp("bbc-ix") / "index"
    engine = WhooshEngine.create(index)
    for i in range(0, len(docs), 500):  # several commits: several segments, as a real ingest makes
        engine.write(docs[i : i + 500])
    engine.close()
    # Tokenise each cleaned text once, as the analyser does: (content hash, title words, text words).
    scanned = [(d.content_hash, exact_words(d.title), exact_words(d.text), set(stemmed_words(d.title + "\n" + d.text)))
               for d in docs]
    with Archive(Settings(index=index, aliases="off")) as archive:
        yield archive, scanned
    shutil.rmtree(index, ignore_errors=True)


def _contains(tokens: list[str], words: list[str], slop: int) -> bool:
    """Return True when the words occur in order, each within slop other words of the previous."""
    def from_pos(k: int, pos: int) -> bool:
        if k == len(words):
            return True
        return any(tokens[j] == words[k] and from_pos(k + 1, j)
                   for j in range(pos + 1, min(len(tokens), pos + slop + 2)))
    return any(t == words[0] and from_pos(1, i) for i, t in enumerate(tokens))


def _brute_force(scanned, phrase: str) -> int:
    body, _, slop = phrase.rpartition('"~') if '"~' in phrase else (phrase, "", "0")
    words = exact_words(body.strip('"'))
    hashes = set()
    for content_hash, title, text, _ in scanned:
        if content_hash not in hashes and (_contains(title, words, int(slop)) or _contains(text, words, int(slop))):
            hashes.add(content_hash)
    return len(hashes)


def test_bbc_phrase_totals_equal_a_brute_force_scan(bbc):
    archive, docs = bbc
    got = {p: archive.search(p, limit=0, facets=False).total for p in PHRASES}
    want = {p: _brute_force(docs, p) for p in PHRASES}
    assert got == want
    assert sum(1 for n in want.values() if n > 0) >= 20  # the check is not vacuous


def test_bbc_everything_counts_identical_texts_once(bbc):
    archive, scanned = bbc
    assert archive.search("*", limit=0).total == len({s[0] for s in scanned}) < len(scanned)


WORDS = ["the", "said", "oil", "economy", "prices", "film", "election", "broadband", "goal"]


def test_bbc_word_totals_with_a_page_of_hits_equal_a_brute_force_scan(bbc):
    # The page's top-N collector skips documents that cannot rank; the total must not.
    archive, scanned = bbc
    for word in WORDS:
        stem = stemmed_words(word)[0]
        want = len({h for h, _, _, stems in scanned if stem in stems})
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
