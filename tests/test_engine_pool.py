"""Postings grouped by term write the segment Whoosh's own sorting pool writes, posting by posting."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.writing import PostingPool, SegmentWriter

from archive.documents import Document
from archive.engine.whoosh.engine import WhooshEngine
from archive.engine.whoosh.pool import TermPool
from archive.engine.whoosh.searchers import open_index
from archive.engine.whoosh.stored import to_fields
from archive.engine.whoosh.writer import LengthsWriter

WORDS = ("oil prices rose fell market trade bank rates said company shares the of a to state art "
         "Kórea's don't C++ 東京 café naïve").split()


def _docs(n: int, seed: int = 11) -> list[Document]:
    rng = random.Random(seed)
    return [Document(id=f"d{i}", collection="c", path=f"/c/{i}.txt", relpath=f"{i}.txt",
                     title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6))),
                     text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 120))), source="s",
                     date=f"2020-01-{1 + i % 28:02d}", language="en", content_hash=f"h{i % 97}")
            for i in range(n)]


def _segment_postings(folder: Path) -> dict:
    """Every posting of every field of an index: (field, term) -> [(doc, weight, value bytes)]."""
    ix = open_index(folder)
    out: dict = {}
    try:
        with ix.reader() as r:
            for name in r.indexed_field_names():
                if name in ("size", "mtime_ns"):
                    continue
                for text, info in r.iter_field(name):
                    m = r.postings(name, text)
                    rows = []
                    while m.is_active():  # block by block: each block's statistics, then its postings
                        rows.append((m.id(), m.weight(), m.value(), m.block_max_weight(), m.block_min_length(),
                                     m.block_max_length()))
                        m.next()
                    stats = (info.doc_frequency(), info.weight(), info.min_length(), info.max_length(),
                             info.max_weight(), info.min_id(), info.max_id())
                    out[(name, text)] = (stats, rows)
    finally:
        ix.close()
    return out


@pytest.mark.parametrize("limitmb", [128, 0.02])  # 0.02 MB: the pool writes many runs and merges them
def test_term_pool_writes_the_segment_whooshs_pool_writes(tmp_path: Path, limitmb: float) -> None:
    docs = _docs(400)
    got = []
    for cls in (LengthsWriter, SegmentWriter):
        eng = WhooshEngine.create(tmp_path / cls.__name__)
        ix = open_index(eng.path)
        try:
            writer = cls(ix, limitmb=limitmb)
            assert isinstance(writer.pool, TermPool if cls is LengthsWriter else PostingPool)
            for doc in docs:
                writer.add_document(**to_fields(doc))
            writer.commit()
        finally:
            ix.close()
            eng.close()
        got.append(_segment_postings(tmp_path / cls.__name__))
    assert got[0] == got[1]
    assert sum(len(v[1]) for v in got[0].values()) > 10_000


def test_term_pool_sorts_postings_that_arrive_out_of_order(tmp_path: Path) -> None:
    from whoosh.filedb.filestore import FileStorage

    items = [("f", b"b", 3, 1.0, b"x"), ("f", b"a", 5, 2.0, b"y"), ("f", b"b", 1, 1.0, b"z"),
             ("e", b"z", 0, 1.0, None), ("f", b"a", 5, 1.0, b"y"), ("f", b"a", 9, 1.0, b"w")]
    for limitmb in (128, 0.00001):
        pool = TermPool(FileStorage(str(tmp_path)), limitmb=limitmb)
        for item in items:
            pool.add(item)
        assert list(pool.iter_postings()) == sorted(items, key=lambda t: (t[0], t[1], t[2], t[3]))
        pool.cleanup()
        assert not list(tmp_path.iterdir())  # no run file left


@pytest.mark.parametrize("group, merge", [(3, 7), (1, 1), (50, 1 << 18)])
def test_term_pool_merges_many_runs_into_the_sorted_postings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            group: int, merge: int) -> None:
    """Runs of a few postings each, read back a few groups at a time, give every posting once, sorted."""
    from whoosh.filedb.filestore import FileStorage

    from archive.engine.whoosh import pool as pool_module

    monkeypatch.setattr(pool_module, "GROUP_POSTINGS", group)
    monkeypatch.setattr(pool_module, "MERGE_POSTINGS", merge)
    rng = random.Random(5)
    # Terms that sort apart only by their last byte or by length, and one in every document.
    vocab = [b"a", b"a\x00", b"ab", b"abc", b"b", b"\xe6\x9d\xb1", b"z" * 40, *(f"t{i}".encode() for i in range(60))]
    shared = [bytes([1, i]) for i in range(4)]  # value objects many postings share, as fields.py's cached ones
    pool = TermPool(FileStorage(str(tmp_path)), limitmb=0.004)  # about 100 postings a run
    expected = []
    saves = 0
    save = pool.save

    def counting_save() -> None:
        nonlocal saves
        saves += 1
        save()

    monkeypatch.setattr(pool, "save", counting_save)
    for doc in range(300):
        for fieldname in ("body", "title"):
            texts = [b"the", *rng.sample(vocab, rng.randint(0, 8))] if fieldname == "body" else rng.sample(vocab, 2)
            weights = [float(rng.randint(1, 3)) for _ in texts]
            values = [shared[rng.randrange(4)] if rng.random() < 0.7 else bytes([2, doc % 256, k])
                      for k in range(len(texts))]
            pool.add_field(fieldname, doc, texts, weights, values)
            expected += [(fieldname, t, doc, w, v) for t, w, v in zip(texts, weights, values)]
    assert saves >= 20
    got = []
    for fieldname, text, parts in pool.iter_term_parts():
        last = -1
        for docs, weights, values in parts:
            assert docs and docs[0] > last  # a run's postings of the term, after the run before's
            last = docs[-1]
            for v in values:  # a value object shared in memory is shared in what a run gives back
                if v[0] == 1:
                    assert v is next(u for u in values if u == v)
            got += [(fieldname, text, d, w, v) for d, w, v in zip(docs, weights, values)]
    assert got == sorted(expected, key=lambda p: (p[0], p[1], p[2]))
    assert not list(tmp_path.iterdir())  # the runs are removed once merged
