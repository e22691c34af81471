"""The fast indexing path and the posting arrays give exactly what Whoosh's own path gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.fields import TEXT
from whoosh.writing import SegmentWriter

from archive.documents import Document
from archive.engine.whoosh import accel, arrays
from archive.engine.whoosh.engine import WhooshEngine
from archive.engine.whoosh.fields import PairsField, WordsField, pairs
from archive.engine.whoosh.schema import build_schema
from archive.engine.whoosh.searchers import open_index
from archive.engine.whoosh.stored import to_fields
from archive.engine.whoosh.writer import BuildWriter, LengthsWriter
from archive.engine.whoosh.writer import _postings as writer_postings

TEXTS = [
    "", "a", "The company said it would raise oil prices, the company said.",
    "C++ and C# in Kórea’s 서울특별시 東京 text; don't stop-me now 1,000.5 U.S.",
    "Straße STRASSE straße ﬁne Ǆ café CAFÉ naïve",
    "oil " * 300 + "prices",
]
WORDS = "oil prices rose fell market trade bank rates said company shares the of a to state art".split()


def _texts() -> list[str]:
    rng = random.Random(3)
    return TEXTS + [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 80))) for _ in range(50)]


@pytest.mark.parametrize("name", ["title", "body", "title_exact", "body_exact"])
def test_words_field_indexes_as_the_analyser_does(name: str) -> None:
    field = build_schema()[name]
    assert isinstance(field, WordsField)
    plain = TEXT(analyzer=field.analyzer, phrase=type(field.format).__name__ == "Positions",
                 field_boost=field.format.field_boost)
    for text in _texts():
        assert sorted(field.index(text)) == sorted(plain.index(text)), text


@pytest.mark.parametrize("name", [n for n, f in build_schema().items() if f.indexed and not isinstance(f, WordsField)])
def test_other_fields_index_as_whoosh_does(name: str) -> None:
    """ID fields (the whole value, once) and comma-separated keyword fields (`keyword_postings`) take
    paths of their own, the others Whoosh's analyser and format: the same postings as Whoosh's."""
    field = build_schema()[name]
    for value in ("", " ", "d42", " Reuters ", "Kórea’s 서울", "a, B ,c", "2024-01-02", "x" * 300, "a, ,b", ",,,",
                  "A,a,A, a ,b", "Ä,ä, Ä ,ÄÄ", "x\ny, z\t", "  ,  ", "İstanbul,ﬁnance,STRASSE,straße",
                  ",".join(["crude"] * 300 + ["grain"])):
        assert writer_postings(field, value) == tuple(map(list, zip(*field.index(value)))) or (
            not list(field.index(value)) and writer_postings(field, value) == ([], [], [], [])), (name, value)


def test_keyword_fields_take_their_own_path(monkeypatch) -> None:
    """The comma-separated keyword fields are counted without Whoosh's tokens (`keyword_postings`,
    which the writer takes for them); a keyword field split at spaces, or one with another
    analyser, is not."""
    from whoosh.fields import KEYWORD

    from archive.engine.whoosh.fields import keyword_postings

    schema = build_schema()
    for name in ("sender", "recipients", "topics", "places"):
        assert keyword_postings(schema[name], "crude, Grain,crude") == (
            [b"crude", b"grain"], [2, 1], [2.0, 1.0], [b"\x00\x00\x00\x02", b"\x00\x00\x00\x01"]), name
    boosted = KEYWORD(lowercase=True, commas=True, field_boost=2.5)
    for value in ("crude, Grain,crude", "a,a,a,B", ",".join(["x"] * 300)):
        assert keyword_postings(boosted, value) == tuple(map(list, zip(*boosted.index(value)))), value
    assert keyword_postings(KEYWORD(lowercase=True), "a,b") is None
    assert keyword_postings(KEYWORD(commas=True), "a,b") is None
    assert keyword_postings(schema["topics"], ["a", "b"]) is None

    def analysed(*args: object, **kwargs: object) -> None:
        raise AssertionError("Whoosh's analyser was asked")

    monkeypatch.setattr(KEYWORD, "index", analysed)
    assert writer_postings(schema["topics"], "crude,grain") == ([b"crude", b"grain"], [1, 1], [1.0, 1.0],
                                                                 [b"\x00\x00\x00\x01"] * 2)


def test_only_id_fields_take_the_whole_value_path() -> None:
    """An ID field of another boost gets it; a NUMERIC field (also an IDTokenizer and Existence) keeps
    Whoosh's own indexing, whatever its value."""
    from whoosh.fields import ID, NUMERIC

    boosted = ID(field_boost=2.5)
    assert writer_postings(boosted, "d42") == tuple(map(list, zip(*boosted.index("d42"))))
    number = NUMERIC()
    for value in (42, "42"):
        try:
            want: object = tuple(map(list, zip(*number.index(value))))
        except Exception as exc:  # noqa: BLE001 - the same failure is expected
            want = type(exc)
        try:
            got: object = writer_postings(number, value)
        except Exception as exc:  # noqa: BLE001
            got = type(exc)
        assert got == want, value


def test_pairs_field_indexes_adjacent_words() -> None:
    field = build_schema()["body_pairs"]
    assert isinstance(field, PairsField) and not field.scorable
    terms = sorted((t, n) for t, n, _, _ in field.index("The company said the company"))
    assert terms == [(b"company said", 1), (b"said the", 1), (b"the company", 2)]
    assert pairs(["one"]) == [] and pairs([]) == []


def test_pairs_with_possessives_are_every_pair_of_their_variants() -> None:
    """A pair at a position is each pairing of the two words' variants (a possessive is also its
    plain word) that holds a common word; None when none does, the pair alone when one does."""
    from archive.query.words import variants

    field = build_schema()["body_pairs"]
    assert isinstance(field, PairsField)
    rng = random.Random(9)
    vocabulary = WORDS + ["company's", "bank's", "the's", "it's", "don't", "o'neil's"]
    for _ in range(300):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(0, 30))]
        want: list = []
        for a, b in zip(words, words[1:]):
            got = [f"{x} {y}" for x in variants(a) for y in variants(b) if x in field.common or y in field.common]
            want.append(None if not got else got[0] if len(got) == 1 else tuple(got))
        assert pairs(words, field.common, both=True) == want, words


def _docs(n: int) -> list[Document]:
    rng = random.Random(5)
    out = []
    for i in range(n):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 40)))
        out.append(Document(id=f"d{i}", collection="c", path=f"/c/{i}.txt", relpath=f"{i}.txt", title=rng.choice(WORDS),
                            text=body, source="s", date="2020-01-01", language="en", content_hash=f"h{i}"))
    return out


def test_lengths_writer_writes_what_whoosh_writes(tmp_path: Path) -> None:
    infos = []
    for cls in (LengthsWriter, SegmentWriter):
        eng = WhooshEngine.create(tmp_path / cls.__name__)
        ix = open_index(eng.path)
        try:
            writer = cls(ix)
            for doc in _docs(300):
                writer.add_document(**to_fields(doc))
            writer.commit()
            with ix.reader() as r:
                infos.append({(f, t): (i.doc_frequency(), i.weight(), i.min_length(), i.max_length(), i.max_weight())
                              for f in r.schema.names() if r.schema[f].indexed for t, i in r.iter_field(f)})
        finally:
            ix.close()
            eng.close()
    assert infos[0] == infos[1] and len(infos[0]) > 20


def test_posting_arrays_hold_the_same_postings(tmp_path: Path) -> None:
    eng = WhooshEngine.create(tmp_path / "index")
    try:
        eng.write(add=_docs(200))
        eng.write(add=_docs(260)[200:], delete=["d3", "d77"])
        ix = open_index(eng.path)
        try:
            for f in tmp_path.joinpath("index").glob("*.arr*"):
                f.unlink()
            arrays._cache.clear()
            assert arrays.write_all(ix, min_df=2) == 2
        finally:
            ix.close()
        with eng.searcher() as s:
            folder = arrays.folder_of(s)
            kept = positioned = 0
            for sub, _ in s.leaf_searchers():
                segment = arrays.for_segment(folder, sub.reader().segment().segment_id())
                assert segment is not None
                for f in arrays.FIELDS:
                    for btext, _ in sub.reader().iter_field(f):
                        text = btext.decode()
                        got = segment.get(f, text)
                        if got is None:
                            continue
                        kept += 1
                        want = arrays.read_postings(sub.reader().postings(f, text))
                        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
                        if f in arrays.POSITION_FIELDS:
                            positioned += 1
                            docs, starts, flat = segment.positional(f, text)
                            fmt = s.schema[f].format
                            m = sub.reader().postings(f, text)
                            m = getattr(m, "child", m)  # deleted documents stay in the arrays
                            want_positions = []
                            while m.is_active():
                                want_positions.append(fmt.decode_positions(m.value()))
                                m.next()
                            assert docs.tolist() == want[0].tolist()
                            assert [flat[a:b].tolist() for a, b in zip(starts[:-1], starts[1:])] == want_positions
            assert kept > 50 and positioned > 20
            t = accel.table(s)
            for q in ("said", "the", '"the company"', '"said the company"', "oil -bank", '"oil prices"',
                      '"the oil"~3', '"market bank rates"~4', '"said said"', '"company the"~2', '"to the of"~6'):
                from archive.engine.whoosh.compile import Compiler
                from archive.query import parse

                comp = Compiler(s.reader()).compile(parse(q).tree)
                with_arrays = accel.matching(s, comp.query, float("inf"))
                arrays._cache.clear()
                for f in tmp_path.joinpath("index").glob("*.arrkeys"):
                    f.rename(f.with_suffix(".off"))
                without = accel.matching(s, comp.query, float("inf"))
                for f in tmp_path.joinpath("index").glob("*.off"):
                    f.rename(f.with_suffix(".arrkeys"))
                arrays._cache.clear()
                assert with_arrays.tolist() == without.tolist(), q
                assert with_arrays.tolist() == sorted(s.docs_for_query(comp.query)), q  # Whoosh's own walk
                assert accel.distinct(t, with_arrays) > 0 or q == "oil -bank"
    finally:
        eng.close()


def _positions_lists(rng: random.Random, n: int) -> list[list[int]]:
    """Position lists as documents have them: mostly one, some many (over pickle's batch of 1,000
    appends), positions past one, two and four bytes."""
    out = []
    for _ in range(n):
        k = rng.choice([0, 1, 1, 1, 1, 2, 3, 7, 999, 1000, 1001, 2500])
        top = max(k + 1, rng.choice([k + 1, 300, 70_000, 3_000_000, 2**33]))
        out.append(sorted(rng.sample(range(top), k)))
    return out


@pytest.mark.parametrize("n, piece", [(1, 1 << 16), (15, 1 << 16), (16, 1 << 16), (17, 1 << 16), (128, 1 << 16),
                                      (600, 1 << 16), (600, 37)])
def test_positions_of_many_values_equal_whooshs_decoding(n: int, piece: int, monkeypatch) -> None:
    """Values read at once give each document's positions as Whoosh's `decode_positions` does one by one."""
    from whoosh.formats import Positions

    monkeypatch.setattr(arrays, "_SLICE", piece)  # values read a slice at a time
    fmt = Positions()
    rng = random.Random(n)
    for _ in range(5):
        lists = _positions_lists(rng, n)
        values = [fmt.encode(p) for p in lists]
        assert arrays._gaps_at_once(values) is not None  # in the form that is read at once
        for broken in (values, [v[:-1] for v in values], values[:-1] + [b"\x00\x00\x00\x01\x80\x03]q\x00K\x05a."]):
            starts, flat = arrays.positions_of(broken)
            want = [fmt.decode_positions(v) for v in broken]
            assert starts.tolist()[0] == 0 and len(starts) == len(broken) + 1
            assert [flat[a:b].tolist() for a, b in zip(starts[:-1], starts[1:])] == want


# 0.03 MB: the postings go to many runs, and each term's blocks are cut from its runs as they are read.
# A threshold of 300 documents, over two blocks of 128: a term's first blocks wait until it proves frequent.
# A threshold of 40, within one block: a term of one block is kept when it reaches it.
@pytest.mark.parametrize("procs, limitmb, min_df", [(1, 128, arrays.MIN_DF), (2, 128, arrays.MIN_DF),
                                                    (1, 0.03, arrays.MIN_DF), (2, 0.03, arrays.MIN_DF),
                                                    (1, 128, 300), (1, 0.03, 300), (1, 128, 40)])
def test_posting_arrays_written_with_the_segment_equal_those_read_back(tmp_path: Path, procs: int, limitmb: float,
                                                                       min_df: int, monkeypatch) -> None:
    """The writer keeps frequent terms' postings as it writes them; reading the segment back gives the same files."""
    monkeypatch.setattr(arrays, "MIN_DF", min_df)
    eng = WhooshEngine.create(tmp_path / "index")
    ix = open_index(eng.path)
    try:
        # The writers alone, without the engine's `arrays.write_all` after the commit.
        writer = (BuildWriter(ix, procs=2, multisegment=True, limitmb=limitmb) if procs > 1
                  else LengthsWriter(ix, limitmb=limitmb))
        for i, doc in enumerate(_docs(700)):
            doc.title = f"{WORDS[i % 2]} {doc.title}"  # title words frequent enough to be kept
            writer.add_document(**to_fields(doc))
        writer.commit()
        with ix.reader() as r:
            folder = str(eng.path)
            segments = [sub for sub, _ in r.leaf_readers()]
            assert len(segments) == procs
            fields: set[str] = set()
            for reader in segments:
                written = arrays.SegmentArrays(str(Path(folder, reader.segment().segment_id())))
                arrays._write_segment(reader, str(tmp_path / "again"), min_df)
                again = arrays.SegmentArrays(str(tmp_path / "again"))
                assert written.keys.keys() == again.keys.keys() and written.pkeys.keys() == again.pkeys.keys()
                assert len(again.keys) > 20 and len(again.pkeys) > 10
                fields |= {f for f, _ in again.keys}
                for f, text in again.keys:
                    got, want = written.get(f, text), again.get(f, text)
                    assert got is not None and want is not None
                    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
                    if (f, text) in again.pkeys:
                        got_p, want_p = written.positional(f, text), again.positional(f, text)
                        assert got_p is not None and want_p is not None
                        assert [a.tolist() for a in got_p] == [a.tolist() for a in want_p]
                for a, b in ((written.ids, again.ids), (written.weights, again.weights),
                             (written.counts, again.counts), (written.positions, again.positions)):
                    assert a.dtype == b.dtype  # the same narrow types on disk
            # The processes share the documents as they take batches: title words may be frequent in one segment only.
            assert fields >= {"title", "body", "title_exact", "body_exact"}
    finally:
        ix.close()
        eng.close()


def test_posting_arrays_of_the_first_version_are_still_read(tmp_path: Path) -> None:
    """Arrays written before gaps and counts (version 1: absolute ids, position starts) give the same postings."""
    import pickle

    import numpy as np

    eng = WhooshEngine.create(tmp_path / "index")
    try:
        eng.write(add=_docs(400))
        with eng.searcher() as s:
            (sub, _), = s.leaf_searchers()
            new = arrays.SegmentArrays(str(Path(arrays.folder_of(s) or "", sub.reader().segment().segment_id())))
        assert new.version == 2
        ids, weights, starts, positions, keys, pkeys = [], [], [], [], {}, {}
        for key in new.keys:  # version 1's layout, written by hand
            got = new.get(*key)
            assert got is not None
            keys[key] = (sum(map(len, ids)), sum(map(len, ids)) + len(got[0]))
            ids.append(got[0])
            weights.append(got[1])
            if key in new.pkeys:
                _, st, pos = new.positional(*key) or ((), np.zeros(1), np.zeros(0))
                pkeys[key] = (sum(map(len, starts)), sum(map(len, positions)))
                starts.append(st)
                positions.append(pos)
        old = tmp_path / "old"
        for suffix, parts, dtype in ((".arrids.npy", ids, np.int32), (".arrw.npy", weights, np.float32),
                                     (".arrpst.npy", starts, np.int32), (".arrpos.npy", positions, np.int32)):
            np.save(f"{old}{suffix}", np.concatenate(parts).astype(dtype))
        with open(f"{old}.arrkeys", "wb") as f:
            pickle.dump({"version": 1, "keys": keys, "pkeys": pkeys}, f)
        v1 = arrays.SegmentArrays(str(old))
        assert len(pkeys) > 10
        for key in new.keys:
            assert [a.tolist() for a in v1.get(*key) or ()] == [a.tolist() for a in new.get(*key) or ()]
            assert [a.tolist() for a in v1.positional(*key) or ()] == [a.tolist() for a in new.positional(*key) or ()]
    finally:
        eng.close()


def test_common_grams_keep_positions_and_skip_rare_pairs() -> None:
    field = build_schema()["body_pairs"]
    items = {t: field.format.decode_positions(v) for t, _, _, v in field.index("oil prices said the oil company")}
    # "oil prices" (no common word) is not indexed; the others stand at their first word's position.
    assert items == {b"prices said": [1], b"said the": [2], b"the oil": [3]}


def test_vocabulary_expands_prefixes_as_whoosh_does(tmp_path: Path) -> None:
    from archive.engine.whoosh.vocab import vocabulary

    eng = WhooshEngine.create(tmp_path / "index")
    try:
        eng.write(add=_docs(120))
        eng.write(add=_docs(180)[120:], delete=["d5"])
        with eng.searcher() as s:
            reader = s.reader()
            for prefix in ("s", "sh", "the", "zz", ""):
                want = sorted({t.decode() if isinstance(t, bytes) else t
                               for sub, _ in reader.leaf_readers() for t in sub.expand_prefix("body_exact", prefix)})
                assert vocabulary(reader, "body_exact").prefixed(prefix) == want
            df = vocabulary(reader, "body_exact").df
            assert all(df[w] == reader.doc_frequency("body_exact", w) for w in df)
    finally:
        eng.close()


def test_full_build_in_two_processes_holds_every_document(tmp_path: Path) -> None:
    eng = WhooshEngine.create(tmp_path / "index")
    try:
        with eng.bulk(procs=2) as add:
            for doc in _docs(250):
                add(doc)
        assert eng.count() == 250
        with eng.searcher() as s:
            assert len(list(s.leaf_searchers())) >= 2
            for sub, _ in s.leaf_searchers():  # the arrays of every segment, written after the commit
                assert arrays.for_segment(arrays.folder_of(s), sub.reader().segment().segment_id()) is not None
    finally:
        eng.close()


def test_vocabulary_finds_fuzzy_words_as_whoosh_does(tmp_path: Path) -> None:
    from archive.engine.whoosh.vocab import vocabulary

    eng = WhooshEngine.create(tmp_path / "index")
    try:
        eng.write(add=_docs(100))
        eng.write(add=_docs(150)[100:])
        with eng.searcher() as s:
            reader = s.reader()
            for word, distance, prefix in (("sahres", 2, 1), ("the", 1, 0), ("compnay", 2, 1), ("oli", 1, 0),
                                           ("zzzz", 2, 1)):
                want = sorted({t.decode() if isinstance(t, bytes) else t for sub, _ in reader.leaf_readers()
                               for t in sub.terms_within("body_exact", word, distance, prefix=prefix)})
                assert vocabulary(reader, "body_exact").within(word, distance, prefix) == want, word
    finally:
        eng.close()


def _table_key(path: Path) -> tuple:
    """Return the key under which a generation's column table is kept (its segments and deletions)."""
    ix = open_index(path)
    try:
        with ix.reader() as r:
            return tuple((sub.segment().segment_id(), sub.segment().deleted_count()) for sub, _ in r.leaf_readers())
    finally:
        ix.close()


def test_a_warmed_engine_prepares_each_new_commit_before_any_search(tmp_path: Path, monkeypatch) -> None:
    import time

    from archive.engine.whoosh import searchers, vocab

    monkeypatch.setattr(searchers, "WATCH_EVERY", 0.05)
    path = tmp_path / "index"
    eng = WhooshEngine.create(path)
    eng.write(add=_docs(60))
    eng.close()
    server = WhooshEngine(path, warm=True)  # as `archive serve` opens it
    try:
        server.searchers.wait_warm()
        assert _table_key(path) in accel._tables
        writer = WhooshEngine(path)  # the nightly ingest, in another process in real life
        writer.write(add=_docs(90)[60:], delete=["d1"])
        writer.close()
        key = _table_key(path)
        deadline = time.monotonic() + 60
        while key not in accel._tables and time.monotonic() < deadline:
            time.sleep(0.05)
        server.searchers.wait_warm()
        assert key in accel._tables  # built by the watcher, not by a search
        assert any(k[0] == "body_exact" and len(k[1]) == len(key) for k in vocab._kept)
        with server.searcher() as s:
            assert s.doc_count() == 89
    finally:
        server.close()


def test_field_lengths_read_at_once_equal_whooshs_lookups(tmp_path: Path) -> None:
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    from archive.engine.whoosh.columns import length_bytes

    eng = WhooshEngine.create(tmp_path / "index")
    try:
        eng.write(add=_docs(120))
        eng.write(add=_docs(150)[120:], delete=["d4"])
        with eng.searcher() as s:
            for sub, _ in s.leaf_searchers():
                r = sub.reader()
                for f in ("body", "title", "body_exact", "title_exact"):
                    col = r._perdoc._cached_reader(f"_{f}_len", LENGTHS_COLUMN)
                    want = [col[d] for d in range(r.doc_count_all())]
                    assert length_bytes(r, f).tolist() == want and any(want)
    finally:
        eng.close()


@pytest.mark.parametrize("cls", [LengthsWriter, SegmentWriter])
def test_postings_read_whole_equal_whooshs_matcher(tmp_path: Path, cls: type) -> None:
    """Every term's postings read straight from the segment's file equal what Whoosh's matcher
    reads, in segments written by this project's writer and by Whoosh's own, deletions included."""
    eng = WhooshEngine.create(tmp_path / "index")
    ix = open_index(eng.path)
    try:
        docs = _docs(500)
        for part in (docs[:150], docs[150:]):  # two segments; blocks of 128 postings: common words have several
            writer = cls(ix)
            for doc in part:
                writer.add_document(**to_fields(doc))
            writer.commit(merge=False)
        writer = cls(ix)
        writer.delete_by_term("id", docs[3].id)
        writer.commit(merge=False)
        read = several = 0
        with ix.reader() as r:
            for sub, _ in r.leaf_readers():
                absent = arrays.raw_postings(sub, "body", "nosuchword")
                assert absent is not None and absent[0].tolist() == []
                for name in sub.indexed_field_names():
                    if name in ("size", "mtime_ns"):
                        continue
                    for btext, info in sub.iter_field(name):
                        text = btext.decode()
                        raw = arrays.raw_postings(sub, name, text)
                        matched = arrays.read_postings(sub.postings(name, text))
                        assert raw is not None and matched is not None
                        # Deleted documents may stay in either: the search removes them (`Table.live`).
                        got, want = ([(d, w) for d, w in zip(*p) if not sub.is_deleted(d)] for p in (raw, matched))
                        assert got == want, (name, text)
                        assert raw[0].dtype == matched[0].dtype and raw[1].dtype == matched[1].dtype
                        read += 1
                        several += info.doc_frequency() > 128
        assert read > 1000 and several > 5
    finally:
        ix.close()
        eng.close()


def test_folded_words_are_each_token_folded() -> None:
    """An ASCII text's words come from its lower-cased text at once, another's ASCII words by
    lower-casing; they are the tokens of the text each folded (the reference: `fold` of every token
    the word pattern finds), apostrophes of each kind, possessives, code tokens ("C++", "C#"),
    underscores, digits, accents and letters whose case changes length included."""
    from archive.engine.whoosh import fields
    from archive.query.words import FAST_TOKEN, fold

    rng = random.Random(11)
    alphabet = "aBcSsZ09 '_+#.-,"
    texts = [t for t in _texts() if not fields._HAS_CJK.search(t)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(20000)]
    # é É ’ ʼ ＇, the Kelvin sign, İ ß, a combining acute, an Arabic-Indic digit
    wider = alphabet + "\u00e9\u00c9\u2019\u02bc\uff07\u212a\u0130\u00df\u0301\u0663"
    texts += ["".join(rng.choice(wider) for _ in range(rng.randint(0, 60))) for _ in range(20000)]
    texts += ["O'Neil's C++ and C# X++y C#s don't ABC_def 'quoted' it's IT'S"]
    for text in texts:
        fields._last = ("", [])
        assert fields.folded_words(text) == [fold(m.group()) for m in FAST_TOKEN.finditer(text)], text
