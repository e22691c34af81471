"""The meaning model follows the index: new texts folded in, many changes retrain it, deletions leave it."""

from __future__ import annotations

import json
import shutil

import numpy as np
from indexes import build_index
from test_meaning import _corpus

from archive.archive import Archive
from archive.config import Settings


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
