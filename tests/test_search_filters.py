"""Structured filters: totals against a brute-force scan, the same results as the clauses written into a query.

The scan reads the documents as `archive extract` reads them (the cleaning ingest applies, apart
from the search engine) and checks each one's source, date and language and its words
(tests/scan.py) by the README's rules, counting distinct texts as the engine's totals do.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from clirun import run
from scan import has_phrase, tokens

from archive.archive import Archive
from archive.config import Settings
from archive.errors import BadQuery
from archive.ingest import IngestReport, collections_for
from archive.ingest.extract import extract_documents
from archive.ingest.learnt import LearntLines
from archive.ingest.walk import walk_relative
from archive.query import parse
from archive.query.filters import Filters

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
WORDS = ['"oil"', '"prices"', '"border"', '"the"', '"interest rates"', '"market"']


@pytest.fixture(scope="module")
def docs(sample_index):
    """Every document of the sample index as extraction reads it: (hash, source, date, lang, title and text words)."""
    settings = Settings(index=sample_index)
    learnt, out = LearntLines(sample_index), []
    for coll in collections_for([str(SAMPLES), str(SEEDS)], settings):
        for path, relpath in walk_relative(coll, settings, IngestReport()):
            found, _ = extract_documents(Path(path), collection=coll.name, root=coll.root, max_bytes=settings.max_bytes,
                                         ocr=settings.ocr, learnt=learnt.for_file(coll.name, relpath))
            out += [(d.content_hash, " ".join(d.source.split()).lower(), d.date, d.language,
                     tokens(d.title), tokens(d.text)) for d in found]
    assert len(out) > 30
    return out


@pytest.fixture(scope="module")
def archive(sample_index):
    with Archive(Settings(index=sample_index, aliases="off")) as a:
        yield a


def _holds(doc, f: Filters) -> bool:  # type: ignore[no-untyped-def]
    _, source, date, lang, _, _ = doc
    if f.sources and source not in {s.lower() for s in f.sources}:
        return False
    if f.langs and lang not in f.langs:
        return False
    return all(date and date[:len(d)] == d for d in f.dates)  # the filters here name a year or a month


def _scan(docs, query: str, f: Filters) -> int:  # type: ignore[no-untyped-def]
    words = tokens(query.strip('"'))
    return len({d[0] for d in docs
                if _holds(d, f) and (not words or has_phrase(d[4], words) or has_phrase(d[5], words))})


def _filter_sets(archive: Archive) -> list[Filters]:
    stats = archive.stats()
    sources, years, langs = list(stats["sources"]), list(stats["years"]), list(stats["languages"])
    month = next(iter(stats["months"]))
    return ([Filters(sources=(s,)) for s in sources] + [Filters(dates=(y,)) for y in years]
            + [Filters(langs=(lang,)) for lang in langs]
            + [Filters(dates=(month,)), Filters(sources=tuple(sources[:3])), Filters(langs=tuple(langs)),
               Filters(sources=(sources[0], sources[-1]), dates=(years[0],), langs=("en",)),
               Filters(dates=(month[:4], month))])


def test_filtered_totals_equal_a_brute_force_scan(archive, docs):
    sets = _filter_sets(archive)
    got = {(q, f): archive.search(q, filters=f, limit=0, facets=False).total for q in ["", *WORDS] for f in sets}
    want = {(q, f): _scan(docs, q, f) for q, f in got}
    assert got == want
    assert sum(1 for n in want.values() if n > 0) >= 60 and len(set(want.values())) > 5  # not vacuous


def test_a_filtered_search_finds_what_the_clauses_written_into_the_query_find(archive):
    queries = ["oil", "-oil", "oil -prices", "-said -the", '"oil prices"', "oil OR gas", "oil w/5 prices", "econom*",
               "market NOT (oil OR gas)", "*", "title:oil", "prices~1", "/colou?r/"]
    compared = 0
    for q, f, sort in itertools.product(queries, _filter_sets(archive), ("relevance", "newest")):
        filtered = archive.search(q, filters=f, limit=50, sort=sort)
        written = archive.search(f.record(q), limit=50, sort=sort)
        assert (filtered.total, [(h.id, h.score, h.snippets) for h in filtered.hits], filtered.facets) == \
               (written.total, [(h.id, h.score, h.snippets) for h in written.hits], written.facets), (q, f, sort)
        compared += filtered.total > 0
    assert compared > 100
    f = Filters(sources=("Valley Courier",))
    assert [(h.id, h.score) for h in archive.export("oil", filters=f, sort="newest")] == \
           [(h.id, h.score) for h in archive.export(f.record("oil"), sort="newest")]


def test_the_query_its_reading_and_its_suggestion_are_about_the_users_words(archive):
    year = Filters(dates=("2021",))
    result = archive.search("intrest rates", filters=year)
    assert (result.query, result.interpreted, result.suggestion) == ("intrest rates", "intrest AND rates",
                                                                     "interest rates")
    alone = archive.search("", filters=year)
    assert alone.interpreted == "*" and alone.total == archive.search("date:2021").total > 0
    with pytest.raises(BadQuery):
        archive.search("")


def test_filters_become_the_nodes_the_parser_makes_for_their_clauses():
    f = Filters(sources=(" Daily  NK",), dates=("2021", "2021-03"), langs=("ko",))
    assert f.sources == ("Daily NK",)
    assert f.nodes() == list(parse('source:"Daily NK" date:2021 date:2021-03 lang:ko').tree.children)
    assert f.record("oil OR gas") == 'source:"Daily NK" date:2021 date:2021-03 lang:ko (oil OR gas)'
    both = Filters(sources=("A", "B c"))
    assert both.nodes() == [parse(both.record("")).tree] and both.record("") == '(source:"A" OR source:"B c")'
    assert not Filters() and Filters().record("oil") == "oil"
    with pytest.raises(BadQuery, match="not a date"):
        Filters(dates=("last week",))


def test_cli_filters(sample_index, docs):
    f = Filters(sources=("Valley Courier", "Harbour Gazette"), dates=("2023",))
    options = ["--source", "Valley Courier", "--source", "Harbour Gazette", "--date", "2023"]
    done = run("search", "--count", *options, '"oil"', index=sample_index)
    assert done.returncode == 0 and int(done.stdout) == _scan(docs, '"oil"', f) > 1
    exported = run("search", "--format", "jsonl", *options, '"oil"', index=sample_index)
    assert len(exported.stdout.splitlines()) == int(done.stdout)
    text = run("search", "--lang", "ko", "", index=sample_index)
    assert text.returncode == 0 and "match * within lang:ko" in text.stdout.splitlines()[0]
    bad = run("search", "--date", "soon", "oil", index=sample_index)
    assert bad.returncode == 2 and "not a date filter" in bad.stderr
