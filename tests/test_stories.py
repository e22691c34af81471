"""Story clusters: MinHash/LSH near-duplicates assigned at ingest, kept right through adds and deletes."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import syndicated
from clirun import invoke
from indexes import build_index

from archive import stories as stories_mod
from archive.archive import Archive
from archive.config import Settings
from archive.documents import document_id
from archive.ingest import ingest


def _pairs(labels: dict) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels.values()).values())


def precision_recall(story: dict[str, str], group: dict[str, int]) -> tuple[float, float]:
    """Pairwise precision and recall of story labels against known copy groups."""
    both = _pairs({k: (story[k], group[k]) for k in group})
    return both / _pairs(story), both / _pairs(group)


def _stories(index: Path, collection: str, groups: dict[str, int]) -> dict[str, str]:
    with Archive(Settings(index=index)) as archive:
        docs = {rel: archive.get(document_id(collection, rel)) for rel in groups}
    assert all(d is not None for d in docs.values())
    return {rel: d.story for rel, d in docs.items()}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def synd(tmp_path_factory):
    """(index, collection folder, copy groups) of the syndicated corpus, ingested once."""
    root = tmp_path_factory.mktemp("corpus") / "synd"
    groups = syndicated.build(root)
    index = tmp_path_factory.mktemp("synd-ix") / "index"
    build_index([root], index)
    return index, root, groups


@pytest.mark.parametrize("text, expected", [
    ("Oil prices, rose.", {b"oil prices rose"}),
    ("OIL Prices rose sharply", {b"oil prices rose", b"prices rose sharply"}),
    ("Two words", {b"two words"}),
    ("", set()),
])
def test_shingles_fold_case_and_skip_punctuation(text, expected):
    assert stories_mod.shingles(text) == expected


def test_signature_estimates_jaccard_of_copies_and_strangers():
    (_, _, a), (_, _, b) = syndicated.bbc_articles(2)[:2]
    import random
    _, copy = syndicated.variant("t", a, random.Random(1), 1)
    sa, sc, sb = (stories_mod.signature("\n\n".join(p)) for p in (a, copy, b))
    assert stories_mod.similarity(sa, sc) >= stories_mod.THRESHOLD
    assert stories_mod.similarity(sa, sb) < 0.1
    assert stories_mod.signature("...") is None


def test_ingest_groups_syndicated_copies_exactly(synd):
    index, root, groups = synd
    story = _stories(index, root.name, groups)
    precision, recall = precision_recall(story, groups)
    assert (precision, recall) == (1.0, 1.0), story
    # An original and its copies share the label of the first of them that was indexed.
    assert len(set(story.values())) == len(set(groups.values()))


def test_search_counts_stories_when_asked(synd):
    index, _, groups = synd
    with Archive(Settings(index=index)) as archive:
        texts = archive.search("*", limit=0)
        stories = archive.search("*", limit=0, count="stories")
        words = archive.search("reportedly", limit=0, count="stories")
        words_texts = archive.search("reportedly", limit=0)
    assert texts.total == len(groups)  # every copy was edited: all texts are distinct
    assert stories.total == len(set(groups.values()))
    # Each outlet ran each story once, so per source the two counts agree; overall they do not.
    assert stories.facets["source"] == texts.facets["source"] == {"wire": 21, "outlet1": 12, "outlet2": 12}
    # Only the republished copies say "reportedly": 24 texts, 12 stories.
    assert (words_texts.total, words.total) == (24, 12)


def test_search_rejects_unknown_count(synd):
    from archive.errors import BadQuery
    with Archive(Settings(index=synd[0])) as archive, pytest.raises(BadQuery):
        archive.search("*", count="authors")


def test_largest_stories_lists_the_copied_ones(synd):
    index, _, groups = synd
    with Archive(Settings(index=index)) as archive:
        largest = archive.largest_stories(100)
    assert [n for _, n in largest] == [3] * 12


def _small_corpus(tmp_path: Path) -> tuple[Path, Path, dict[str, int]]:
    root = tmp_path / "synd"
    groups = syndicated.build(root, originals=1, singles=1)
    return root, tmp_path / "index", groups


def test_incremental_adds_and_deletes_keep_labels(tmp_path):
    root, index, groups = _small_corpus(tmp_path)
    ingest([str(root)], Settings(index=index))
    before = _stories(index, "synd", groups)
    _, title, paras = syndicated.bbc_articles(1)[0]
    syndicated.write(root / "outlet3" / "business-00.txt", "Another headline entirely", paras + [syndicated.ADDED])
    (root / "wire" / "business-00.txt").unlink()
    report = ingest([str(root)], Settings(index=index))
    assert (report.added, report.deleted) == (1, 1)
    del groups["wire/business-00.txt"]
    after = _stories(index, "synd", groups)
    assert {k: after[k] for k in groups} == {k: before[k] for k in groups}
    new = _stories(index, "synd", {"outlet3/business-00.txt": 0})["outlet3/business-00.txt"]
    assert new == before["wire/business-00.txt"]  # joined the story though its first member is gone


def test_signatures_rebuilt_from_the_index_when_stale(tmp_path):
    root, index, groups = _small_corpus(tmp_path)
    ingest([str(root)], Settings(index=index))
    before = _stories(index, "synd", groups)
    (index / stories_mod.FILENAME).unlink()  # as if a run died between the index commit and this file's
    _, _, paras = syndicated.bbc_articles(1)[0]
    syndicated.write(root / "outlet3" / "business-00.txt", "Yet another headline", paras[:-1])
    ingest([str(root)], Settings(index=index))
    groups["outlet3/business-00.txt"] = 0
    after = _stories(index, "synd", groups)
    assert after["outlet3/business-00.txt"] == before["wire/business-00.txt"]
    with stories_mod.StoryIndex(index) as stories:
        assert stories.stamp() is not None


def test_full_rebuild_finds_the_same_stories(tmp_path):
    root, index, groups = _small_corpus(tmp_path)
    ingest([str(root)], Settings(index=index))
    shutil.rmtree(root / "outlet2")
    ingest([str(root)], Settings(index=index), full=True)
    kept = {k: v for k, v in groups.items() if not k.startswith("outlet2/")}
    precision, recall = precision_recall(_stories(index, "synd", kept), kept)
    assert (precision, recall) == (1.0, 1.0)


def test_cli_search_counts_stories(synd):
    index, _, groups = synd
    texts = invoke("search", "--index", str(index), "--count", "reportedly")
    stories = invoke("search", "--index", str(index), "--count", "--stories", "reportedly")
    assert (texts.output.strip(), stories.output.strip()) == ("24", "12"), stories.output
