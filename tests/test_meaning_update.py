"""The meaning model follows the index: new texts folded in, many changes retrain it, deletions leave it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from indexes import build_index
from test_meaning import _corpus

from archive.archive import Archive
from archive.config import Settings
from archive.engine.choice import open_engine
from archive.meaning import model as mm
from archive.meaning.model import text_of


def test_incremental_runs_update_or_retrain_the_model(tmp_path):
    root = _corpus(tmp_path / "news")
    index = tmp_path / "index"
    first = build_index([root], index)
    texts = first.distinct_texts
    assert first.meaning.startswith(f"meaning model trained on {texts} texts")

    again = build_index([root], index)
    assert again.meaning == "meaning model unchanged"

    _corpus(tmp_path / "news", skip=50, count=2)  # 10 new articles: folded in
    (root / "sport" / "003.txt").unlink()
    update = build_index([root], index)
    assert update.meaning.startswith("meaning model updated: 11 changes folded in")
    ids = [i.decode() for i in np.load(index / "meaning" / "rows.npz")["id"]]
    info = json.loads((index / "meaning" / "info.json").read_text())
    assert len(ids) == 259 and info["trained_on"] == texts and info["changed_since"] == 11
    with Archive(Settings(index=index)) as archive:
        new = {d for d, _ in archive.listing("*") if archive.get(d).relpath.endswith(("051.txt", "052.txt"))}  # type: ignore[union-attr]
        assert len(new) == 10 and new <= set(ids)
        gone = [d for d in ids if archive.get(d) is None]
        assert not gone
        # A new article is found by meaning like any other: its own title finds it first.
        doc = archive.get(sorted(new)[0])
        hits = archive.search(doc.title + " " + doc.text[:400], mode="meaning", limit=1).hits  # type: ignore[union-attr]
        assert hits[0].id == doc.id  # type: ignore[union-attr]

    _corpus(tmp_path / "news", skip=52, count=10)  # 50 more: 61 changes since training, over a fifth of it
    retrain = build_index([root], index)
    assert retrain.meaning.startswith(f"meaning model retrained on {retrain.distinct_texts} texts")
    info = json.loads((index / "meaning" / "info.json").read_text())
    assert info["changed_since"] == 0 and info["trained_on"] == retrain.distinct_texts > texts


def test_a_full_rebuild_trains_the_model_in_the_new_index(tmp_path):
    root = _corpus(tmp_path / "news", count=3)
    index = tmp_path / "index"
    build_index([root], index)
    shutil.rmtree(index / "meaning")
    report = build_index([root], index, full=True)
    assert report.meaning.startswith("meaning model trained on 15 texts") and "too few" in report.meaning
    assert (index / "meaning" / "vectors.npy").is_file()


def test_update_copies_kept_vectors_from_the_file_and_projects_the_rest(tmp_path, monkeypatch):
    """The vectors update() writes are the old file's rows for documents whose text is unchanged and
    the projection of the others, in the order the documents come; the old vectors are read from
    their file, not through the loaded model's mapping (whose pages would count in the process)."""
    root = _corpus(tmp_path / "news", count=20)
    index = tmp_path / "index"
    build_index([root], index)
    before = tmp_path / "before"
    shutil.copytree(index / "meaning", before)
    _corpus(tmp_path / "news", skip=20, count=1)  # 5 new articles
    (root / "sport" / "003.txt").unlink()
    with (root / "tech" / "002.txt").open("a") as f:
        f.write("\nA paragraph added later about mobile phones and software.\n")
    build_index([root], index)  # its own model is put back to the first one's below
    shutil.rmtree(index / "meaning")
    shutil.copytree(before, index / "meaning")

    old = mm.load(index)
    assert old is not None and isinstance(old.vectors, np.memmap)
    engine = open_engine(Settings(index=index))
    try:
        docs = list(engine.documents())[::-1]  # an order other than the old rows': kept rows come in many runs
    finally:
        engine.close()
    old_vectors = np.load(before / "vectors.npy")
    with np.load(before / "rows.npz") as cols:
        old_row = {(i.decode(), h.decode()): r for r, (i, h) in enumerate(zip(cols["id"], cols["hash"]))}
    kept = [old_row.get((d.id, d.content_hash)) for d in docs]
    assert kept.count(None) == 6  # 5 new, 1 changed
    expected = np.stack([old_vectors[r] if r is not None else old.embed([text_of(d)])[0]
                         for d, r in zip(docs, kept)])

    mapped = old.vectors.ctypes.data  # an address inside the old model's mapping
    monkeypatch.setattr(mm, "CHUNK", 7)  # several chunks, the last one short
    mm.update(old, docs, 7, index)
    assert _resident_kb(mapped) == 0  # no page of the old model's mapping was touched
    assert np.array_equal(np.load(index / "meaning" / "vectors.npy"), expected)
    with np.load(index / "meaning" / "rows.npz") as cols:
        assert [i.decode() for i in cols["id"]] == [d.id for d in docs]


def _resident_kb(address: int) -> int:
    """Return the kB resident in this process's memory of the mapping that holds an address, from
    /proc/self/smaps. (The mapping is found by address, not by the file's inode: an inode number says
    nothing across devices, and other tests' models may still be mapped.)"""
    inside, found = False, None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if len(head) >= 5 and "-" in head[0] and ":" in head[3]:  # a mapping's first line: addresses, mode, ...
            low, high = (int(a, 16) for a in head[0].split("-"))
            inside = low <= address < high
        elif inside and head and head[0] == "Rss:":
            found = int(head[1])
    assert found is not None, "no mapping holds the address"
    return found
