"""The bulk search path (numpy) against Whoosh's own walk and a brute-force count, on a real index."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import numpy as np
import pytest

from archive.documents import Document
from archive.engine.whoosh import accel, scores
from archive.engine.whoosh.columns import column, column_bytes
from archive.engine.whoosh.compile import Compiler
from archive.engine.whoosh.engine import WhooshEngine
from archive.engine.whoosh.results import ranked
from archive.query import parse

WORDS = ("oil prices rose fell border market trade bank rates interest said company shares profit loss "
         "state of the art government minister plan exports grain").split()
SOURCES = ("Wire", "Daily Post", "wire", "Herald")
QUERIES = ("oil", "oil prices", "oil OR bank", "bank -loss", "profit NOT loss", "oil -prices -rates",
           "title:bank", "source:wire oil", "lang:de", "date:2020..2021", "bank date:>=2021-06-01",
           "(oil OR gas) prices", "-said", "nothingmatches", "oil nothingmatches", "pro*", "goverment~",
           '"oil prices"', '"state of the art" bank', '"border market"~2', '"oil oil"', '"said the company said"~3',
           '"oil prices" -"prices rose"', "oil OR -bank", "*")


def _doc(i: int, rng: random.Random) -> Document:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60)))
    if i % 7 == 0:
        body = "The same text in several files, about oil prices and a bank."  # copies: one result
    return Document(id=f"doc{i:03d}", collection="c", path=f"/c/{i}.txt", relpath=f"{i}.txt",
                    title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))), text=body,
                    source=SOURCES[i % len(SOURCES)],
                    date=f"{2019 + i % 4}-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 5 else "",
                    language="de" if i % 9 == 0 else "en", content_hash=f"h{hash(body) & 0xffffffff:x}")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    rng = random.Random(8)
    path = tmp_path_factory.mktemp("accel") / "index"
    eng = WhooshEngine.create(path)
    for batch in range(3):  # several segments, then deletions
        eng.write(add=[_doc(i, rng) for i in range(batch * 40, batch * 40 + 40)])
    eng.write(delete=[f"doc{i:03d}" for i in range(0, 120, 11)])
    yield eng
    eng.close()


def _compiled(s, text):  # type: ignore[no-untyped-def]
    return Compiler(s.reader()).compile(parse(text).tree)


def _brute_force(s, fields):  # type: ignore[no-untyped-def]
    """Return {field: {value: distinct hashes}} from stored and indexed values, document by document."""
    reader = s.reader()
    seen: dict = {f: {} for f in fields}
    for d in reader.all_doc_ids():
        stored = s.stored_fields(d)
        for f in fields:
            value = reader.column_reader(f)[d]
            if value:
                seen[f].setdefault(value, set()).add(stored["content_hash"])
    return seen


def _oracle(s, q) -> set[int]:  # type: ignore[no-untyped-def]
    """Return a query's documents by set operations over Whoosh's walks of its leaves.

    Whoosh's own walk of a whole `AndNot` can let an excluded document through (seen here with
    two negated words), so only its leaves are trusted.
    """
    kind = type(q).__name__  # the tests do not import Whoosh (DESIGN.md §1)
    if kind == "And":
        return set.intersection(*(_oracle(s, c) for c in q.subqueries))
    if kind == "Or":
        return set.union(*(_oracle(s, c) for c in q.subqueries))
    if kind == "AndNot":
        return _oracle(s, q.a) - _oracle(s, q.b)
    return set(s.docs_for_query(q))


@pytest.mark.parametrize("text", QUERIES)
def test_bulk_matches_equal_a_walk_of_each_leaf(engine, text):
    with engine.searcher() as s:
        q = _compiled(s, text).query
        bulk = accel.matching(s, q, time.monotonic() + 60).tolist()
        assert bulk == sorted(_oracle(s, q))


@pytest.mark.parametrize("text", QUERIES)
def test_bulk_scores_equal_whooshs_scores(engine, text):
    with engine.searcher() as s:
        q = _compiled(s, text).query
        got = scores.score(s, accel.table(s), q)
        assert got is not None, text
        want = dict(s.search(q, limit=None, optimize=False).items())
        assert got[0].tolist() == sorted(_oracle(s, q)) and set(got[0].tolist()) <= set(want)
        for d, v in zip(*got):
            assert v == pytest.approx(want[int(d)], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("text", QUERIES)
def test_scores_of_counted_documents_are_the_scores_of_the_whole_query(engine, text):
    """Scoring at the documents just counted (an And's parts there only, an AndNot's left side only)
    gives the documents and the very scores that scoring the query whole gives."""
    with engine.searcher() as s:
        comp = _compiled(s, text)
        t = accel.table(s)
        memo: dict = {}
        known = accel.matching(s, comp.query, time.monotonic() + 60, memo)
        whole = scores.score(s, t, comp.query, dict(memo))
        got = scores.score(s, t, comp.query, memo, known)
        assert (got is None) == (whole is None), text
        if whole is not None and got is not None:
            assert got[0].tolist() == whole[0].tolist(), text
            assert got[1].tolist() == whole[1].tolist(), text  # equal floats, not approximately


@pytest.mark.parametrize("text", [q for q in QUERIES if "*" not in q])
def test_top_hits_equal_whooshs_collapsed_ranking(engine, text):
    with engine.searcher() as s:
        comp = _compiled(s, text)
        got = scores.score(s, accel.table(s), comp.query)
        assert got is not None, text
        want, complete = ranked(s, comp, None, "relevance", time.monotonic() + 60)
        assert complete
        top = scores.top(accel.table(s), got, None)
        right = _oracle(s, comp.query)
        assert [d for d, _ in top] == [d for d, _ in want if d in right]


def test_totals_and_facets_count_distinct_texts(engine):
    fields = ("source", "year", "lang", "month")
    with engine.searcher() as s:
        stored = [s.stored_fields(d) for d in s.reader().all_doc_ids()]
        brute = _brute_force(s, fields)
    res = engine.search(parse("*").tree, limit=0)
    assert res.total == len({f["content_hash"] for f in stored})
    for name in ("year", "lang", "month"):  # most documents first, then by value
        assert res.facets[name] == {v: len(h) for v, h in sorted(brute[name].items(),
                                                                 key=lambda kv: (-len(kv[1]), kv[0]))}
    # Sources are matched lower-cased ("Wire" and "wire" are one) and shown as stored.
    assert sorted(res.facets["source"].values()) == sorted(len(h) for h in brute["source"].values())


def test_copies_are_listed_and_counted_once(engine):
    res = engine.search(parse('"same text in several files"').tree, limit=10)
    assert res.total == 1 and len(res.hits) == 1
    assert len(res.hits[0].paths) > 1


def test_a_search_out_of_time_says_so_or_is_exact(engine):
    full = engine.search(parse("oil OR bank").tree, limit=10)
    res = engine.search(parse("oil OR bank").tree, limit=10, time_budget=0)
    assert (res.total_exact and res.total == full.total) or (res.partial and res.total < full.total)


def test_reading_the_column_table_is_not_the_querys_time(engine, monkeypatch):
    """The first search of a process reads the generation's column table (14 s at a million
    documents): that does not count against the query's time budget, so the total is exact."""
    full = engine.search(parse("oil OR bank").tree, limit=10)
    build = accel.Table

    def slow(*args):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return build(*args)

    monkeypatch.setattr(accel, "_tables", type(accel._tables)())  # a new process: no table yet
    monkeypatch.setattr(accel, "Table", slow)
    res = engine.search(parse("oil OR bank").tree, limit=10, time_budget=0.5)
    assert not res.partial and res.total == full.total
    assert [h.id for h in res.hits] == [h.id for h in full.hits]


@pytest.mark.parametrize("seed", range(6))
def test_top_of_a_long_list_is_the_whole_sorts_top(seed):
    """The page taken from the best-scored documents alone is the page a whole sort gives: checked
    against a plain Python sort, with many tied scores and many copies of one text."""
    rng = np.random.default_rng(seed)
    n = 20_000
    docs = np.sort(rng.choice(200_000, n, replace=False))
    # Few distinct scores (ties everywhere); one text's copies crowd the top in some seeds.
    values = rng.integers(0, [3, 50, 1000, 8, 2, 400][seed], n).astype(float)
    t = SimpleNamespace(hash=rng.integers(0, [5, 300, 20_000, 40, 3, 1000][seed], 200_000))
    if seed == 1:
        t.hash[docs[values == values.max()]] = 7
    for limit in (0, 1, 10, 50, 2_000):
        seen, want = set(), []
        for d, v in sorted(zip(docs.tolist(), values.tolist()), key=lambda dv: (-dv[1], dv[0])):
            if t.hash[d] not in seen:
                seen.add(t.hash[d])
                want.append((d, v))
        assert scores.top(t, (docs, values), limit) == want[:limit], limit


def test_sorted_intersection_and_distinct_values_equal_numpys() -> None:
    """The searchsorted intersection and the one-pass distinct values used by phrases and AND give
    what np.intersect1d and np.unique give, dtype included, at every length."""
    from archive.engine.whoosh import phrases
    from archive.engine.whoosh.accel import sorted_or_unique

    rng = np.random.default_rng(2)
    for n, m in [(0, 0), (0, 5), (1, 1), (3, 1000), (1000, 3), (5000, 7000), (20000, 20000)]:
        a = np.unique(rng.integers(0, 30000, n)).astype(np.int32)
        b = np.unique(rng.integers(0, 30000, m)).astype(np.int64)
        for x, y in ((a, b), (b, a), (a, a)):
            got, want = phrases.intersect_sorted(x, y), np.intersect1d(x, y, assume_unique=True)
            assert got.tolist() == want.tolist() and got.dtype == want.dtype
        repeated = np.sort(rng.integers(0, 50, n))
        assert phrases.distinct_sorted(repeated).tolist() == np.unique(repeated).tolist()
        shuffled = rng.permutation(repeated)
        assert sorted_or_unique(shuffled).tolist() == np.unique(shuffled).tolist()
        assert sorted_or_unique(a) is a or len(a) < 2


def test_column_codes_are_those_of_whooshs_own_column_values(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The column table codes each value from the segment's bytes; Whoosh's column reader, value by
    value, and a sort of the distinct strings give the same codes: over several segments, deleted
    documents, empty values, values of many lengths and text beyond ASCII (UTF-8 sorts as it does)."""
    rng = random.Random(3)
    sources = ("Wire", "", "Süddeutsche", "日本経済新聞", "a", "Zeitung", "zeitung", "Ærø Avis", "Wire service")
    eng = WhooshEngine.create(tmp_path / "index")
    try:
        for batch in range(3):
            eng.write(add=[Document(id=f"d{batch}-{i}", collection="c", path=f"/c/{batch}-{i}.txt",
                                    relpath=f"{batch}-{i}.txt", title="t", text=f"text {i}",
                                    source=rng.choice(sources), date=rng.choice(["", "2020-01-02", "1999-12-31"]),
                                    language=rng.choice(["en", "de", ""]), content_hash=f"{rng.getrandbits(30):x}")
                           for i in range(rng.randint(5, 60))])
        eng.write(delete=["d0-1", "d1-2"])
        with eng.searcher() as s:
            for name in ("content_hash", "story", "run_id") + accel.TABLE_FIELDS:
                values = [v for sub, _ in s.leaf_searchers() for v in sub.reader().column_reader(name)]
                distinct = sorted(set(values) - {""})
                want = [distinct.index(v) if v else -1 for v in values]
                assert column_bytes(s, name) is not None  # the segments' bytes, not the fallback
                got = accel._column_codes(s, name)
                assert got.codes.tolist() == want and got.values == distinct, name
                assert column(s, name) == values, name  # the strings, decoded once per distinct value
    finally:
        eng.close()
