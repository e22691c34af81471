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
