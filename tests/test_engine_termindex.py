"""The term dictionary writer in arrays writes the file Whoosh's own `OrderedHashWriter` writes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter

from archive.engine.whoosh.termindex import TermIndexWriter


def _keys(n: int) -> list[bytes]:
    rng = random.Random(5)
    words = {"".join(rng.choice("abcdefghijklmnopqrstuvwxyzé東") for _ in range(rng.randint(1, 12))).encode()
             for _ in range(n)}
    return sorted(words)


def _write(storage: FileStorage, name: str, cls: type, items: list[tuple[bytes, bytes]]) -> bytes:
    w = cls(storage.create_file(name))
    for key, value in items:
        w.add(key, value)
    w.close()
    return (Path(storage.folder) / name).read_bytes()


@pytest.mark.parametrize("n", [0, 1, 300, 5000])  # 5,000 keys: about 20 a bucket, so slots collide
def test_term_index_file_is_whooshs_byte_for_byte(tmp_path: Path, n: int) -> None:
    storage = FileStorage(str(tmp_path))
    items = [(k, bytes(range(len(k) % 7)) * 3) for k in _keys(n)]
    ours = _write(storage, "ours.trm", TermIndexWriter, items)
    whooshs = _write(storage, "whoosh.trm", OrderedHashWriter, items)
    assert ours == whooshs
    r = OrderedHashReader.open(storage, "ours.trm")
    try:
        assert list(r.keys()) == [k for k, _ in items]
        for key, value in items[::37]:
            assert r[key] == value
        if items:  # the nearest key at or after a prefix, found through the ordered index
            prefix = items[len(items) // 2][0][:1]
            assert r.closest_key(prefix) == next(k for k, _ in items if k >= prefix)
    finally:
        r.close()


def test_term_index_rejects_keys_out_of_order(tmp_path: Path) -> None:
    w = TermIndexWriter(FileStorage(str(tmp_path)).create_file("x.trm"))
    w.add(b"b", b"1")
    with pytest.raises(ValueError):
        w.add(b"a", b"2")
    w.close()


def test_replacing_takes_over_an_unused_writer_only(tmp_path: Path) -> None:
    storage = FileStorage(str(tmp_path))
    old = OrderedHashWriter(storage.create_file("a.trm"))
    old.extras["fieldmap"] = fieldmap = {}
    new = TermIndexWriter.replacing(old)
    assert new.extras["fieldmap"] is fieldmap  # the field writer's map is the one written
    new.add(b"k", b"v")
    new.close()
    used = OrderedHashWriter(storage.create_file("b.trm"))
    used.add(b"k", b"v")
    with pytest.raises(ValueError):
        TermIndexWriter.replacing(used)
    used.close()
