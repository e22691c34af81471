"""Story clusters: MinHash/LSH near-duplicates assigned at ingest, kept right through adds and deletes."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import syndicated
from clirun import invoke
from indexes import build_index

from archive import stories as stories_mod
from archive.archive import Archive
from archive.config import Settings
from archive.documents import document_id
from archive.ingest import ingest
from archive.query.aliases import NO_ALIASES
from archive.query.filters import NO_FILTERS, compose


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


def test_shingles_are_every_run_of_three_case_folded_words():
    texts = ["\n\n".join(p) for _, _, p in syndicated.bbc_articles(20)]
    texts += ["snake_case and 3rd-quarter 2024 results, UP 12%", "Straße STRASSE straße", "naïve café Ōsaka 東京 株価",
              "İstanbul ǅemal ﬁnance", "a b", "word", "?!", "x\ty\nz\u00a0w"]
    for text in texts:
        words = re.findall(r"\w+", text.casefold())
        want = {" ".join(words[i:i + 3]).encode() for i in range(len(words) - 2)} if len(words) >= 3 else \
            ({" ".join(words).encode()} if words else set())
        assert stories_mod.shingles(text) == want, text[:40]


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


def _pages(archive: Archive, query: str, sort: str, count: str, size: int) -> list:
    hits, offset = [], 0
    while True:
        page = archive.search(query, limit=size, offset=offset, sort=sort, count=count, facets=False).hits
        hits += page
        if len(page) < size:
            return hits
        offset += size


@pytest.mark.parametrize("query", ["*", "reportedly", "said OR year"])
@pytest.mark.parametrize("sort, margin", [("relevance", 64), ("newest", 64), ("newest", 0)])
def test_counting_stories_lists_one_hit_per_story(synd, query, sort, margin, monkeypatch):
    """Every page together holds each matching story once, as its first version in the list of
    texts, and as many hits as the total says (the stories matched, found by reading every document).
    Whoosh ranks in date order; with no margin its list of texts is too short at first and grows."""
    from archive.engine.whoosh import results
    monkeypatch.setattr(results, "STORY_MARGIN", margin)
    index, root, groups = synd
    with Archive(Settings(index=index)) as archive:
        docs = [archive.get(document_id(root.name, rel)) for rel in groups]
        words = re.compile(r"\b(reportedly)\b" if query == "reportedly" else r"\b(said|year|years)\b" if "OR" in query
                           else r"")
        matching = {d.story for d in docs if d is not None and words.search(f"{d.title}\n{d.text}".lower())}
        texts = _pages(archive, query, sort, "texts", 100)
        stories = _pages(archive, query, sort, "stories", 1 if margin == 0 else 4)
        total = archive.search(query, limit=0, count="stories").total
        story_of = {h.id: archive.get(h.id).story for h in texts}  # type: ignore[union-attr]
    assert 1 < len(matching) < len(texts) or query == "*"
    assert [story_of[h.id] for h in stories] == list(dict.fromkeys(story_of[h.id] for h in texts))
    assert {story_of[h.id] for h in stories} == matching
    assert len(stories) == total == len(matching)


@pytest.mark.parametrize("query", ["*", "reportedly", "said OR year", '"the government"', "source:wire"])
def test_stories_counted_in_bulk_agree_with_a_walk_over_the_matches(synd, query):
    """The story total and facets from the counted matches equal those of a plain walk over Whoosh's
    matches with a set of story labels per facet value (`similar.story_tally`)."""
    from archive.engine.whoosh import similar
    index = synd[0]
    with Archive(Settings(index=index)) as archive:
        result = archive.search(query, limit=0, count="stories")
        tree = archive.with_marks(compose(query, NO_FILTERS, NO_ALIASES).tree)
        with archive.engine.searcher() as s:
            total, facets, complete = similar.story_tally(s, tree, tuple(result.facets), float("inf"))
    assert complete and result.total == total > 0
    assert result.facets == facets


@pytest.mark.parametrize("query", ["said OR year", "*"])
@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("whoosh_ranks", [False, True])
def test_one_per_story_is_the_first_of_each_in_the_list_of_texts(synd, query, sort, whoosh_ranks, monkeypatch):
    """`best` with a key (here: texts grouped seven by seven) gives, for every limit, the first text of
    each group in the full list of texts, whether numpy or Whoosh ranks (and Whoosh's list grows)."""
    from archive.engine.whoosh import accel, results, scores
    from archive.engine.whoosh.compile import Compiler
    monkeypatch.setattr(results, "STORY_MARGIN", 0)
    if whoosh_ranks:
        monkeypatch.setattr(scores, "score", lambda *args, **kwargs: None)
    lengths: list[int | None] = []
    ranked = results.ranked
    monkeypatch.setattr(results, "ranked", lambda s, comp, n, *a, **k: lengths.append(n) or ranked(s, comp, n, *a, **k))
    with Archive(Settings(index=synd[0])) as archive:
        tree = archive.with_marks(compose(query, NO_FILTERS, NO_ALIASES).tree)
        with archive.engine.searcher() as s:
            comp = Compiler(s.reader()).compile(tree)
            key = accel.table(s).hash // 7
            every, _ = results.best(s, comp, None, sort, float("inf"))
            seen: set[int] = set()
            want = [(d, score) for d, score in every if not (int(key[d]) in seen or seen.add(int(key[d])))]
            assert len(every) > len(want) > 3
            for limit in range(1, len(want) + 2):
                got, complete = results.best(s, comp, limit, sort, float("inf"), key=key)
                assert complete and got == want[:limit], limit
    if whoosh_ranks or sort != "relevance":
        assert any(b is not None and a is not None and b > a for a, b in zip(lengths, lengths[1:]))


def test_copies_of_a_text_labelled_apart_are_one_story(tmp_path):
    """Two copies of a page without words get each its own label (no signature to compare): they are
    still one text, so one story, listed once in every order, and the walk over the matches agrees."""
    from archive.engine.whoosh import similar
    root = tmp_path / "coll"
    root.mkdir()
    page = "<html><head><title>Photo gallery: the week</title></head><body><img src='x.jpg'><p>* * *</p></body></html>"
    for name in ("a.html", "b.html"):
        (root / name).write_text(page)
    ingest([str(root)], Settings(index=tmp_path / "index"))
    with Archive(Settings(index=tmp_path / "index")) as archive:
        texts = archive.search("*", limit=10)
        docs = [archive.get(document_id("coll", name)) for name in ("a.html", "b.html")]
        assert texts.total == 1 and len({d.story for d in docs if d is not None}) == 2  # labelled apart
        for sort in ("relevance", "newest", "oldest"):
            one = archive.search("*", limit=10, sort=sort, count="stories")
            assert (one.total, len(one.hits)) == (1, 1), sort
        tree = archive.with_marks(compose("*", NO_FILTERS, NO_ALIASES).tree)
        with archive.engine.searcher() as s:
            assert similar.story_tally(s, tree, (), float("inf"))[0] == 1


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
    listed = invoke("search", "--index", str(index), "--stories", "--limit", "20", "reportedly").output
    assert listed.startswith("12 stories match")
    assert re.findall(r"^(\d+)\. ", listed, re.M) == [str(n) for n in range(1, 13)]
    # Ranked by meaning, every text is listed, and the count says documents.
    by_meaning = invoke("search", "--index", str(index), "--stories", "--meaning", "government minister").output
    assert re.search(r"^\d+ documents? match", by_meaning, re.M) and "stories match" not in by_meaning


# -- the assigner against datasketch's own LSH -------------------------------------------------

class DatasketchAssigner:
    """The assignment rule written directly on datasketch's MinHashLSH and LeanMinHash objects:
    the reference the compact assigner must agree with, document for document."""

    def __init__(self) -> None:
        import datasketch
        self.ds = datasketch
        self.lsh = datasketch.MinHashLSH(threshold=stories_mod.THRESHOLD, num_perm=stories_mod.NUM_PERM)
        self.sigs: dict = {}
        self.story: dict[str, str] = {}

    def _lean(self, values):
        return self.ds.LeanMinHash(seed=stories_mod.SEED, hashvalues=np.asarray(values, dtype=np.uint64),
                                   scheme=stories_mod.SCHEME)

    def add(self, doc_id: str, story: str, values) -> None:
        sig = self._lean(values)
        self.lsh.insert(doc_id, sig, check_duplication=False)
        self.sigs[doc_id], self.story[doc_id] = sig, story

    def assign(self, doc_id: str, values) -> str:
        self.remove(doc_id)
        if values is None:
            return doc_id
        sig = self._lean(values)
        best, best_sim = None, stories_mod.THRESHOLD
        for other in self.lsh.query(sig):
            sim = float(sig.jaccard(self.sigs[other]))
            if sim > best_sim or (sim == best_sim and (best is None or other < best)):
                best, best_sim = other, sim
        story = self.story[best] if best is not None else doc_id
        self.add(doc_id, story, values)
        return story

    def remove(self, doc_id: str) -> None:
        if doc_id in self.sigs:
            self.lsh.remove(doc_id)
            del self.sigs[doc_id], self.story[doc_id]


def test_bands_are_the_ones_datasketch_picks():
    from datasketch.lsh import _optimal_param
    bands = _optimal_param(stories_mod.THRESHOLD, stories_mod.NUM_PERM, 0.5, 0.5)
    assert (stories_mod.BANDS, stories_mod.ROWS) == bands


def test_the_stored_permutations_are_datasketchs_and_signing_does_not_import_it():
    import datasketch
    a, b = datasketch.MinHash(num_perm=stories_mod.NUM_PERM, seed=stories_mod.SEED,
                              scheme=stories_mod.SCHEME).permutations
    got_a, got_b = stories_mod._permutations()
    assert got_a.dtype == got_b.dtype == np.uint32
    assert got_a.tolist() == [int(v) for v in a] and got_b.tolist() == [int(v) for v in b]
    # datasketch (and the scipy it imports) stays out of an ingest: a fresh interpreter signs a text.
    code = ("import sys; from archive.stories import signature; "
            "assert signature('three words here and more') is not None; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('datasketch', 'scipy')))")
    here = str(Path(stories_mod.__file__).parents[1])  # the archive these tests import, installed or not
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=here,
                         env={**os.environ, "PYTHONPATH": here}).stdout
    assert out.strip() == "[]"


def test_signature_keeps_the_low_byte_of_datasketchs_values_and_round_trips_as_blobs():
    import datasketch
    articles = ["\n\n".join(p) for _, _, p in syndicated.bbc_articles(6)]
    texts = articles + ["two words", "one", "서울 시장은 오늘 새 예산안을 발표했다", " ".join(articles) * 3]
    for text in texts:  # computed without a MinHash object: each value is the one datasketch gives
        m = datasketch.MinHash(num_perm=stories_mod.NUM_PERM, seed=stories_mod.SEED, scheme=stories_mod.SCHEME)
        m.update_batch(list(stories_mod.shingles(text)))
        got = stories_mod.signature(text)
        assert got is not None and got.dtype == np.uint8 and len(got) == stories_mod.NUM_PERM
        assert [int(v) % 256 for v in m.hashvalues] == got.tolist(), text[:40]
    text = articles[0]
    m = datasketch.MinHash(num_perm=stories_mod.NUM_PERM, seed=stories_mod.SEED, scheme=stories_mod.SCHEME)
    m.update_batch(list(stories_mod.shingles(text)))
    sig = stories_mod.signature(text)
    assert np.array_equal(stories_mod._from_blob(stories_mod.to_blob(sig)), sig)
    # A signature stored whole (32-bit values) by an earlier version reads as its low bytes.
    whole = np.asarray(m.hashvalues, dtype=np.uint32).tobytes()
    assert np.array_equal(stories_mod._from_blob(whole), sig)


def test_low_bytes_keep_the_estimate_of_copies_and_strangers():
    """The share of equal low bytes is the share of equal 32-bit values (datasketch's own estimate)
    plus the few unequal values whose low bytes agree by chance (one in 256: under 0.04 here), for
    copies and for unrelated texts."""
    import datasketch
    rng = random.Random(2)
    articles = syndicated.bbc_articles(12)
    texts = ["\n\n".join(p) for _, _, p in articles]
    texts += ["\n\n".join(syndicated.variant(t, p, rng, 1)[1]) for _, t, p in articles]
    whole = []
    for text in texts:
        m = datasketch.MinHash(num_perm=stories_mod.NUM_PERM, seed=stories_mod.SEED, scheme=stories_mod.SCHEME)
        m.update_batch(list(stories_mod.shingles(text)))
        whole.append(np.asarray(m.hashvalues))
    low = [stories_mod.signature(t) for t in texts]
    for i in range(len(texts)):
        for j in range(i):
            exact = float(np.mean(whole[i] == whole[j]))
            assert exact <= stories_mod.similarity(low[i], low[j]) < exact + 0.04, (i, j)


def _near_duplicates() -> list[tuple[str, np.ndarray | None]]:
    """Signatures of BBC texts, their republished copies, copies of copies, halves, and texts
    made of two articles (which resemble two stories), shuffled."""
    rng = random.Random(5)
    texts: dict[str, str] = {}
    articles = syndicated.bbc_articles(25)
    for n, (_, title, paras) in enumerate(articles):
        texts[f"a{n:03d}"] = "\n\n".join(paras)
        copy = paras
        for k in range(3):
            title, copy = syndicated.variant(title, copy, rng, 1 + k % 2)
            texts[f"a{n:03d}-v{k}"] = "\n\n".join(copy)
        texts[f"a{n:03d}-half"] = "\n\n".join(paras[:max(1, len(paras) // 2)])
        other = articles[(n + 1) % len(articles)][2]
        texts[f"a{n:03d}-mix"] = "\n\n".join(paras[:len(paras) // 2] + other[len(other) // 2:])
    texts["empty"] = "..."
    items = [(doc_id, stories_mod.signature(text)) for doc_id, text in texts.items()]
    rng.shuffle(items)
    return items


def _crowded(n: int) -> list[tuple[str, np.ndarray]]:
    """Synthetic signatures over three values: many candidates, many similarities tied at the
    threshold, so the tie rule decides often."""
    rng = np.random.default_rng(3)
    return [(f"s{i:05d}", rng.integers(0, 3, stories_mod.NUM_PERM).astype(np.uint8)) for i in range(n)]


def _same_as_reference(items, pending: int, recent: int, min_rows: int, monkeypatch) -> None:
    """Assign, remove and reassign the same signatures with both assigners; every label agrees
    (with every tier of band keys in use: pending, recent and merged)."""
    monkeypatch.setattr(stories_mod, "_PENDING_ROWS", pending)
    monkeypatch.setattr(stories_mod, "_RECENT_ROWS", recent)
    monkeypatch.setattr(stories_mod, "_MIN_ROWS", min_rows)
    new, ref = stories_mod.StoryAssigner(), DatasketchAssigner()
    rng = random.Random(8)

    def both(doc_id, sig):
        assert new.assign(doc_id, "", sig) == ref.assign(doc_id, sig), doc_id

    for doc_id, sig in items:
        both(doc_id, sig)
    assert new.story == ref.story
    # Remove most documents (the removed ones outnumber the rest, so the rows are compacted),
    # then bring some back under new ids and change others in place.
    gone = rng.sample([d for d, _ in items], k=len(items) * 3 // 5)
    for doc_id in gone:
        new.remove(doc_id)
        ref.remove(doc_id)
    # Another assigner takes the remaining signatures at once (`load`: their band keys sorted in
    # one go, the merged tier only) and goes on from there.
    stored = new
    new = stories_mod.StoryAssigner()
    new.load((d, stored.story[d], stored.values(d).copy()) for d in stored.story)
    by_id = dict(items)
    for doc_id in gone[: len(gone) // 2]:
        both(doc_id + "-again", by_id[doc_id])
    for doc_id, _ in rng.sample(items, k=len(items) // 4):
        both(doc_id, by_id[rng.choice(gone)])
    assert new.story == ref.story
    assert sorted(new.story) == sorted(ref.sigs)
    assert all(np.array_equal(new.values(d), ref.sigs[d].hashvalues) for d in new.story)


@pytest.mark.parametrize("pending, recent, min_rows", [(64, 4096, 1024), (7, 20, 5)])
def test_assignment_matches_datasketch_on_near_duplicates(pending, recent, min_rows, monkeypatch):
    items = _near_duplicates()
    _same_as_reference(items, pending, recent, min_rows, monkeypatch)
    labels = stories_mod.StoryAssigner()
    story = {d: labels.assign(d, "", s) for d, s in items}
    assert story["a000-v0"] == story["a000"]  # copies do join: the test compares real stories


@pytest.mark.parametrize("pending, recent, min_rows", [(64, 4096, 1024), (13, 30, 9)])
def test_assignment_matches_datasketch_when_candidates_crowd(pending, recent, min_rows, monkeypatch):
    _same_as_reference(_crowded(1500), pending, recent, min_rows, monkeypatch)


def test_memory_per_document_is_small():
    """5,000 signatures cost under 1 KB each, their ids included (one per-document datasketch
    object and its LSH entries cost about 10 KB)."""
    rng = np.random.default_rng(11)
    sigs = rng.integers(0, 256, (5000, stories_mod.NUM_PERM), dtype=np.uint8)
    ids = [f"collection/folder/document-{i:05d}.txt" for i in range(len(sigs))]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        mem = stories_mod.StoryAssigner()
        for doc_id, sig in zip(ids, sigs):
            mem.add(doc_id, doc_id, sig)
        per_doc = (tracemalloc.get_traced_memory()[0] - before) / len(sigs)
    finally:
        tracemalloc.stop()
    assert len(mem) == len(sigs)
    assert per_doc < 1024, per_doc


@pytest.mark.parametrize("kind", ["near-duplicates", "crowded"])
def test_signatures_moved_out_of_memory_give_the_same_stories(kind, tmp_path):
    """A full build holds a bounded number of signatures in memory and moves the rest to a scratch
    file: every label still agrees with datasketch's, through removals and documents changed in
    place, and the commit stores every signature (the scratch file is gone once closed)."""
    items = _near_duplicates() if kind == "near-duplicates" else _crowded(700)
    rng = random.Random(21)
    ref = DatasketchAssigner()
    folder = tmp_path / "index"
    folder.mkdir()

    def both(doc_id, sig):
        stories.prepare(doc_id, "", stories_mod.to_blob(sig))
        assert stories.assign(doc_id, "") == ref.assign(doc_id, sig), doc_id

    with stories_mod.StoryIndex(folder, memory_rows=9) as stories:
        for k, (doc_id, sig) in enumerate(items):
            both(doc_id, sig)
            if k == len(items) // 3:
                stories.commit("first")  # a commit in the middle: the moved rows are written once
        assert (folder / "stories-spill.sqlite").exists()
        gone = rng.sample([d for d, _ in items], k=len(items) // 3)
        for doc_id in gone:
            stories.remove(doc_id)
            ref.remove(doc_id)
        by_id = dict(items)
        for doc_id in gone[: len(gone) // 2]:
            both(doc_id + "-again", by_id[doc_id])
        for doc_id, _ in rng.sample(items, k=len(items) // 4):
            both(doc_id, by_id[rng.choice(gone)])
        stories.commit("second")
    assert not (folder / "stories-spill.sqlite").exists()
    with stories_mod.StoryIndex(folder) as stored:
        rows = stored._db.execute("SELECT id, story, sig FROM signatures").fetchall()
    assert {i: s or i for i, s, _ in rows} == ref.story
    assert all(np.array_equal(stories_mod._from_blob(b), ref.sigs[i].hashvalues) for i, _, b in rows)
    assert len(set(ref.story.values())) < len(ref.story)  # stories do form: the labels are not all trivial


def test_a_removed_document_moved_out_of_memory_is_not_found(tmp_path):
    """Two documents moved to the scratch file: a copy of the second finds it there, and once it
    is removed, another copy starts a story of its own."""
    a, b = np.random.default_rng(4).integers(0, 256, (2, stories_mod.NUM_PERM), dtype=np.uint8)

    def assign(doc_id, sig):
        stories.prepare(doc_id, "", stories_mod.to_blob(sig))
        return stories.assign(doc_id, "")

    with stories_mod.StoryIndex(tmp_path, memory_rows=2) as stories:
        assert (assign("a", a), assign("b", b)) == ("a", "b")
        assert assign("b-copy", b) == "b"
        stories.remove("b")
        stories.remove("b-copy")
        assert assign("c", b) == "c"


def test_documents_past_the_memory_bound_leave_nothing_behind_in_memory(tmp_path):
    """Once signatures move to the scratch file, the memory of a build does not grow with its new
    documents: 2,000 documents moved out hold under 20 bytes each in memory (5 measured; a mark kept
    for each new document took about 100)."""
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 256, (3000, stories_mod.NUM_PERM), dtype=np.uint8)
    tracemalloc.start()
    try:
        with stories_mod.StoryIndex(tmp_path, memory_rows=500) as stories:
            for k, sig in enumerate(sigs):
                doc_id = f"collection/folder/document-{k:05d}.txt"  # made as a build makes it, per document
                if k == 1000:  # both readings right after a move: the same rows in memory
                    before = tracemalloc.get_traced_memory()[0]
                stories.prepare(doc_id, "", stories_mod.to_blob(sig))
                stories.assign(doc_id, "")
            per_doc = (tracemalloc.get_traced_memory()[0] - before) / 2000
    finally:
        tracemalloc.stop()
    assert per_doc < 20, per_doc


# -- stored signatures read from scratch files, against a brute-force search ----------------------

class BruteForce:
    """The assignment rule written plainly: a new signature is compared with every remembered one;
    a candidate shares all ROWS values of one of the BANDS bands, and the most similar candidate at
    or above the threshold gives its story (ties: the smaller id)."""

    def __init__(self) -> None:
        self.sigs: dict[str, np.ndarray] = {}
        self.story: dict[str, str] = {}

    def assign(self, doc_id: str, sig) -> str:
        self.remove(doc_id)
        if sig is None:
            return doc_id
        best, best_count = None, -1
        bands = sig.reshape(stories_mod.BANDS, stories_mod.ROWS)
        for other in sorted(self.sigs):
            values = self.sigs[other]
            if not (values.reshape(stories_mod.BANDS, stories_mod.ROWS) == bands).all(axis=1).any():
                continue
            count = int((values == sig).sum())
            if count / stories_mod.NUM_PERM >= stories_mod.THRESHOLD and count > best_count:
                best, best_count = other, count  # in id order: a later tie does not replace it
        self.sigs[doc_id] = sig
        self.story[doc_id] = self.story[best] if best is not None else doc_id
        return self.story[doc_id]

    def remove(self, doc_id: str) -> None:
        self.sigs.pop(doc_id, None)
        self.story.pop(doc_id, None)


def _signature_pool(rng: random.Random) -> list[np.ndarray | None]:
    """Signatures of real texts and their copies (and one text without words), and crafted ones:
    copies of a few signatures with some values changed (similarities either side of the threshold,
    with and without a whole band in common, exact copies tied at 1.0), and signatures over three
    values (many candidates, many ties)."""
    pool = [sig for _, sig in _near_duplicates()]
    gen = np.random.default_rng(rng.getrandbits(32))
    for base in gen.integers(0, 256, (20, stories_mod.NUM_PERM), dtype=np.uint8):
        for changed in (0, 0, 30, 60, 70, 74, 76, 78, 90):
            pool.append(_changed(base, changed, gen))
    pool += list(gen.integers(0, 3, (150, stories_mod.NUM_PERM)).astype(np.uint8))
    rng.shuffle(pool)
    return pool


def _changed(sig: np.ndarray, count: int, gen: np.random.Generator) -> np.ndarray:
    """Return a copy of a signature with `count` values (at random places) changed."""
    copy = sig.copy()
    at = gen.choice(stories_mod.NUM_PERM, count, replace=False)
    copy[at] = (copy[at].astype(np.int64) + gen.integers(1, 256, count)) % 256
    return copy


def _table(folder: Path) -> dict[str, tuple[str, list[int]]]:
    """Return the stored signatures table: id -> (story, signature values)."""
    with stories_mod.StoryIndex(folder) as stored:
        rows = stored._db.execute("SELECT id, story, sig FROM signatures").fetchall()
    return {i: (s or i, stories_mod._from_blob(b).tolist()) for i, s, b in rows}


@pytest.mark.parametrize("block", [512, 4])
def test_stored_signatures_read_from_scratch_files_give_the_stories_of_a_brute_force_search(block, tmp_path,
                                                                                             monkeypatch):
    """Runs of random changes over the signatures stored by earlier runs: each run reads them from
    its scratch files (never from memory), and every story agrees with a brute-force search, through
    documents added, changed, removed and added again, several commits a run, a run that also
    moves its own signatures out of memory, and signatures stored whole by an earlier version.
    With blocks of 4 keys, equal keys run over several blocks of the fence."""
    monkeypatch.setattr(stories_mod._Stored, "_BLOCK", block)
    rng = random.Random(31)
    gen = np.random.default_rng(32)
    pool = _signature_pool(rng)
    ref = BruteForce()
    folder = tmp_path / "index"
    folder.mkdir()
    scratch = folder / stories_mod._Stored.NAME

    def assign(doc_id, sig):
        stories.prepare(doc_id, "", stories_mod.to_blob(sig))
        assert stories.assign(doc_id, "") == ref.assign(doc_id, sig), doc_id

    def new_id():
        return f"{rng.getrandbits(64):016x}"

    with stories_mod.StoryIndex(folder) as stories:  # the first run: nothing stored, nothing written
        for sig in pool[:300]:
            assign(new_id(), sig)
        assert not scratch.exists()
        stories.commit("0")
    with stories_mod.StoryIndex(folder) as stories:  # some signatures stored whole (32-bit values)
        for doc_id in rng.sample(sorted(ref.sigs), 10):
            whole = ref.sigs[doc_id].astype(np.uint32) | (gen.integers(1, 1 << 24, stories_mod.NUM_PERM,
                                                                        dtype=np.uint32) << np.uint32(8))
            stories._db.execute("UPDATE signatures SET sig = ? WHERE id = ?", (whole.tobytes(), doc_id))
    removed: list[str] = []
    for run in range(1, 5):
        with stories_mod.StoryIndex(folder, memory_rows=7 if run == 3 else None) as stories:
            for _ in range(250):
                live, step = sorted(ref.story), rng.random()
                if step < 0.35:  # a new document: from the pool, or a near copy of a stored one
                    sig = rng.choice(pool) if step < 0.15 else _changed(
                        ref.sigs[rng.choice(live)], rng.choice([0, 20, 60, 74, 76, 80]), gen)
                    assign(new_id(), sig)
                elif step < 0.55:  # a document changed in place
                    assign(rng.choice(live), rng.choice(pool))
                elif step < 0.8:  # a document deleted
                    removed.append(rng.choice(live))
                    stories.remove(removed[-1])
                    ref.remove(removed[-1])
                elif step < 0.95 and removed:  # a deleted document back
                    doc_id = rng.choice(removed)
                    assign(doc_id, _changed(pool[len(doc_id) % len(pool)], 10, gen))
                else:
                    stories.commit(f"{run}")
            assert scratch.exists()
            stories.commit(f"{run}")
        assert not scratch.exists()
        assert _table(folder) == {i: (ref.story[i], ref.sigs[i].tolist()) for i in ref.story}
    joined = Counter(ref.story.values())
    assert len(joined) < len(ref.story) and max(joined.values()) > 5  # stories do form


def test_a_run_without_changes_or_without_stored_signatures_writes_no_scratch_files(tmp_path):
    """A commit with nothing changed reads nothing; an empty table gives no scratch folder, nor does
    a rebuild (which holds every signature); one left by a killed run is replaced."""
    scratch = tmp_path / stories_mod._Stored.NAME
    sig = np.arange(stories_mod.NUM_PERM, dtype=np.uint8)
    with stories_mod.StoryIndex(tmp_path) as stories:
        stories.prepare("0" * 16, "", stories_mod.to_blob(sig))
        assert stories.assign("0" * 16, "") == "0" * 16
        assert not scratch.exists()
        stories.commit("1")
    with stories_mod.StoryIndex(tmp_path) as stories:
        stories.commit("2")
        assert not scratch.exists()
    scratch.mkdir()
    (scratch / "keys").write_bytes(b"left by a killed run")
    with stories_mod.StoryIndex(tmp_path) as stories:
        stories.prepare("1" * 16, "", stories_mod.to_blob(sig))
        assert stories.assign("1" * 16, "") == "0" * 16
        assert scratch.exists()
    assert not scratch.exists()
    with stories_mod.StoryIndex(tmp_path) as stories:
        stories.rebuild([("2" * 16, "", "the words of a text"), ("3" * 16, "2" * 16, "the words of a text")], "4")
        stories.prepare("4" * 16, "", stories_mod.to_blob(stories_mod.signature("the words of a text")))
        assert stories.assign("4" * 16, "") == "2" * 16
        assert not scratch.exists()


def test_an_incremental_run_does_not_hold_the_stored_signatures_in_memory(tmp_path):
    """Assigning one document against 20,000 stored signatures holds 1.3 MB (1.2 MB of it the empty
    arrays of the assigner of the run's own documents); loading them into memory holds 11.7 MB."""
    rng = np.random.default_rng(12)
    sigs = rng.integers(0, 256, (20000, stories_mod.NUM_PERM), dtype=np.uint8)
    ids = [f"{k:016x}" for k in rng.permutation(len(sigs)).tolist()]
    with stories_mod.StoryIndex(tmp_path) as stories:
        for doc_id, sig in zip(ids, sigs):
            stories.prepare(doc_id, "", stories_mod.to_blob(sig))
            stories.assign(doc_id, "")
        stories.commit("built")
    copy = sigs[123].copy()
    copy[:40] += 1
    tracemalloc.start()
    try:
        with stories_mod.StoryIndex(tmp_path) as stories:
            before = tracemalloc.get_traced_memory()[0]
            stories.prepare("f" * 16, "", stories_mod.to_blob(copy))
            assert stories.assign("f" * 16, "") == ids[123]
            held = tracemalloc.get_traced_memory()[0] - before
        loaded = stories_mod.StoryAssigner()
        before = tracemalloc.get_traced_memory()[0]
        loaded.load(zip(ids, ids, sigs))
        loading = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2_000_000 and loading > 10_000_000, (held, loading)
