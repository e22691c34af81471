"""A full build held to little memory finds what a brute-force scan finds, and what a roomy build finds.

With a small `ingest_memory_mb` the indexing process writes its postings out in runs and merges
them term by term; the totals must still be the scan's (tests/scan.py reads the texts as
`archive extract` cleans them) and the top 10 the same as a build that never wrote a run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from scan import Phrase, Word, counts

from archive.archive import Archive
from archive.config import Settings, writer_limit_mb
from archive.documents import SearchResult
from archive.ingest import IngestReport, collections_for, ingest
from archive.ingest.extract import extract_documents
from archive.ingest.walk import WalkedFiles, walk_relative

WORDS = ("oil prices rose fell market trade bank rates said company shares the of a to state art "
         "harbour tonnes wheat exports").split()
QUERIES = [(Word("oil"), "oil"), (Word("prices"), "prices"), (Word("the"), "the"), (Word("exported"), "exported"),
           (Phrase("the company"), '"the company"'), (Phrase("oil prices"), '"oil prices"'),
           (Phrase("said the bank"), '"said the bank"')]


def _corpus(folder: Path, n: int) -> None:
    rng = random.Random(7)
    for i in range(n):
        sub = folder / rng.choice(["grain", "crude"])
        sub.mkdir(parents=True, exist_ok=True)
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize()
        body = ". ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))).capitalize()
                         for _ in range(rng.randint(4, 16)))
        (sub / f"1987-03-{1 + i % 28:02d}-{i:05d}.txt").write_text(f"{title}\n\n{body}.\n")


def test_a_full_build_in_little_memory_finds_what_a_scan_finds(tmp_path: Path) -> None:
    src = tmp_path / "wire"
    _corpus(src, 400)
    small = Settings(index=tmp_path / "small", full_procs=1, clean_procs=1, ingest_memory_mb=64)
    roomy = Settings(index=tmp_path / "roomy", full_procs=2, ingest_memory_mb=4096)
    assert writer_limit_mb(small, 1) < writer_limit_mb(roomy, 2)
    for settings in (small, roomy):
        assert ingest([str(src)], settings, full=True).added == 400
    docs = []
    for coll in collections_for([str(src)], small):
        for path, _ in walk_relative(coll, small, IngestReport()):
            found, _ = extract_documents(Path(path), collection=coll.name, root=coll.root, max_bytes=small.max_bytes)
            docs += found
    with Archive(Settings(index=small.index, aliases="off")) as a, Archive(Settings(index=roomy.index,
                                                                                   aliases="off")) as b:
        for query, text in QUERIES:
            want = counts(query, docs).documents
            got_small = a.search(text, limit=10, facets=False, snippets=0)
            got_roomy = b.search(text, limit=10, facets=False, snippets=0)
            assert got_small.total == got_roomy.total == want, text
            assert ([(round(h.score, 6), sorted(h.paths)) for h in got_small.hits]
                    == [(round(h.score, 6), sorted(h.paths)) for h in got_roomy.hits]) or _tied(got_small, got_roomy)
        assert want > 0


def _tied(a: SearchResult, b: SearchResult) -> bool:
    """Return True when two pages differ only in the order of hits of equal score."""
    def key(r: SearchResult) -> list[tuple[float, list[str]]]:
        return sorted((round(h.score, 6), sorted(h.paths)) for h in r.hits)
    return [round(h.score, 6) for h in a.hits] == [round(h.score, 6) for h in b.hits] and key(a) == key(b)


def test_a_full_build_writes_its_manifest_as_it_goes(tmp_path: Path) -> None:
    """A build's entries reach the new manifest in batches instead of being held to the end; the stamp comes last."""
    from archive.documents import Document
    from archive.ingest.manifest import Entry, Manifest
    from archive.ingest.sinks import BuildSink

    doc = Document(id="c/0", collection="c", path="/c/0.txt", relpath="0.txt", title="t", text="text")
    n = 3 * BuildSink.BATCH + 5
    with Manifest(tmp_path) as manifest:
        sink = BuildSink(lambda d: None, None, manifest)
        for i in range(n):
            sink.add(doc, Entry(f"c/{i}", "c", f"{i}.txt", 10, 1, f"{i:064x}", "", "p"))
        assert manifest.counts()[0] == 3 * BuildSink.BATCH and manifest.stamp() is None
        sink.finish("stamp-1")
        assert manifest.counts() == (n, n) and manifest.stamp() == "stamp-1"
        assert manifest.ids() == {f"c/{i}" for i in range(n)} and sink.count == n


def test_manifest_entries_share_their_collection_and_pipeline(tmp_path: Path) -> None:
    """A nightly run reads every entry: thousands of entries of one collection hold one copy of its
    name and of the pipeline version, and read back equal to what was written."""
    from archive.ingest.manifest import Entry, Manifest

    written = [Entry(f"c/{i}", "c" + "ollection", f"{i}.txt", 10, 1, f"{i:064x}", "", "pipe" + "line-9")
               for i in range(5000)]
    with Manifest(tmp_path) as manifest:
        manifest.apply(written, (), "stamp")
        got = manifest.entries()
    assert got == {e.id: e for e in written}
    assert len({id(e.collection) for e in got.values()}) == 1
    assert len({id(e.pipeline) for e in got.values()}) == 1


def test_walked_files_give_what_the_walk_gives(tmp_path: Path) -> None:
    """The compact file list (relpaths only, paths made when asked) answers as the walk's own list,
    across collections, with a named file and a linked folder inside a collection."""
    wire, wire2 = tmp_path / "wire", tmp_path / "other" / "wire"
    _corpus(wire, 30)
    _corpus(wire2, 12)
    (wire / "linked").symlink_to(wire / "grain")
    # Names that are not ASCII, and one that is not UTF-8 (its byte comes back as Python's surrogate escape).
    (wire / "grain" / "café déjà.txt").write_text("Wheat and barley.\n")
    with open(os.path.join(os.fsencode(wire / "grain"), b"bad-\xff.txt"), "w") as f:
        f.write("Maize.\n")
    named = next(iter(sorted((wire2 / "crude").iterdir())))
    settings = Settings(index=tmp_path / "ix")
    colls = collections_for([str(wire), str(wire2), str(named)], settings)
    want = [(c, p, r) for c in colls for p, r in walk_relative(c, settings, IngestReport())]
    got = WalkedFiles(colls, settings, IngestReport())
    assert len(got) == len(want) == 30 + 2 + 12 + 1  # the linked folder was walked already, as `grain`
    assert {"grain/café déjà.txt", os.fsdecode(b"grain/bad-\xff.txt")} <= {r for _, _, r in got}
    assert list(got) == want
    assert [got[k] for k in range(len(want))] == want
    assert got[len(want) - 1] == (colls[-1], str(named), want[-1][2])
    with pytest.raises(IndexError):
        got[len(want)]
