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


def _state(size: int, mtime_ns: int) -> os.stat_result:
    """A stat result with this size and mtime (the only fields the unchanged check reads)."""
    return os.stat_result((0o100644, 0, 0, 1, 0, 0, size, 0, 0, 0, 0.0, 0.0, 0.0, 0, mtime_ns, 0))


def test_known_files_answer_as_their_entries_do(tmp_path: Path) -> None:
    """The one-stat check, the entries of a file and the documents whose files are gone, from a
    manifest of single- and many-document files, each checked against the entries themselves."""
    from archive.clean import PIPELINE_VERSION
    from archive.ingest.known import Known, file_key, file_keys
    from archive.ingest.manifest import Entry, Manifest
    from archive.ingest.walk import Collection

    rng = random.Random(5)
    entries: list[Entry] = []
    for n in range(3000):
        coll, rel = rng.choice(["wire", "mail"]), f"d{n % 17}/f{n}.txt"
        parts = 1 if rng.random() < 0.8 else rng.randint(2, 4)
        size, mtime = rng.randint(1, 10**6), rng.randint(1, 10**18)
        for part in range(parts):
            odd = parts > 1 and part == 1 and rng.random() < 0.3  # one part disagrees: never unchanged
            pipeline = PIPELINE_VERSION if rng.random() < 0.9 else "0-old"
            entries.append(Entry(f"{coll}-{n}-{part}", coll, rel, size + odd, mtime, f"{n:040x}", "r", pipeline))
    by_file: dict[tuple[str, str], list[Entry]] = {}
    for e in entries:
        by_file.setdefault((e.collection, e.relpath), []).append(e)
    with Manifest(tmp_path) as manifest:
        manifest.apply(entries, (), "stamp")
        known = Known(manifest)
        assert len(known) == len(by_file)
        for (coll, rel), es in by_file.items():
            size, mtime = es[0].size, es[0].mtime_ns
            want = all((e.size, e.mtime_ns, e.pipeline) == (size, mtime, PIPELINE_VERSION) for e in es)
            assert known.unchanged(file_key(coll, rel), _state(size, mtime)) == want
            assert not known.unchanged(file_key(coll, rel), _state(size, mtime + 1))
            assert known.file(coll, rel) == sorted(es)
        assert not known.unchanged(file_key("wire", "new.txt"), _state(1, 1)) and known.file("wire", "new.txt") == []
        assert known.get(entries[7].id) == entries[7] and entries[7].id in known and "nope" not in known
        walked = [(Collection(c, tmp_path), "", r) for (c, r) in by_file if rng.random() < 0.7]
        left = {(c.name, r) for c, _, r in walked}
        want_gone = sorted((e.id, e.collection, e.relpath) for e in entries
                           if e.collection == "wire" and (e.collection, e.relpath) not in left)
        assert sorted(known.gone(["wire"], file_keys(walked))) == want_gone
        assert known.gone(["elsewhere"], file_keys(walked)) == []
        assert len(known.gone(["wire", "mail"], file_keys([]))) == len(entries)


def test_known_files_hold_numbers_not_entries(tmp_path: Path) -> None:
    """What a nightly run holds of a manifest of 20,000 files: three numbers a file, not the entries
    (which took about 900 bytes each)."""
    import tracemalloc

    from archive.ingest.known import Known
    from archive.ingest.manifest import Entry, Manifest

    n = 20_000
    with Manifest(tmp_path) as manifest:
        manifest.apply((Entry(f"{i:016x}", "collection", f"folder/{i}.txt", 10, i, f"{i:040x}", f"{i:040x}", "3")
                        for i in range(n)), (), "stamp")
        tracemalloc.start()
        try:
            known = Known(manifest)
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(known) == n
    assert held / n < 40, held / n


def test_a_nightly_run_leaves_what_a_scan_of_the_folders_finds(tmp_path: Path) -> None:
    """Files added, changed, touched, deleted, and a mailbox losing a message, over two collections
    and one named file: after each run the index holds exactly the documents the folders give."""
    from fixtures.formats import make

    from archive.engine.whoosh.engine import WhooshEngine

    wire, mail = tmp_path / "wire", tmp_path / "mail"
    _corpus(wire, 60)
    (wire / "loose.txt").write_text("Loose note\n\nA note about the quay, filed at the top of the folder.\n")
    mail.mkdir()
    messages = [make.make_message(f"Note {i}", f"Message {i} about the harbour cranes.", day=1 + i) for i in range(3)]
    make.make_mbox(mail / "inbox.mbox", messages)
    settings = Settings(index=tmp_path / "ix", clean_procs=2)

    def scan() -> set[str]:
        ids = set()
        for coll in collections_for([str(wire), str(mail)], settings):
            for path, _ in walk_relative(coll, settings, IngestReport()):
                found, _ = extract_documents(Path(path), collection=coll.name, root=coll.root,
                                             max_bytes=settings.max_bytes)
                ids |= {d.id for d in found}
        return ids

    def indexed() -> set[str]:
        engine = WhooshEngine(settings.index)
        try:
            return set(engine.states())
        finally:
            engine.close()

    first = ingest([str(wire), str(mail)], settings)
    assert first.added == len(scan()) == len(indexed()) and indexed() == scan()
    files = sorted(wire.rglob("*.txt"))
    for gone in files[:5]:
        gone.unlink()
    files[5].write_text(files[5].read_text() + "\nA new closing sentence about wheat.\n")
    os.utime(files[6], ns=(files[6].stat().st_atime_ns, files[6].stat().st_mtime_ns + 10**9))
    (wire / "grain" / "1987-04-01-99999.txt").write_text("Added later\n\nA new report about barley tonnes.\n")
    (mail / "inbox.mbox").unlink()  # written afresh: the mailbox writer adds to a file
    make.make_mbox(mail / "inbox.mbox", messages[:2])
    second = ingest([str(wire), str(mail)], settings)
    assert indexed() == scan()
    assert (second.added, second.updated, second.deleted, second.rehashed) == (1, 3, 6, 1), second.summary()
    files[7].unlink()
    (wire / "loose.txt").write_text("Loose note\n\nThe note was rewritten.\n")
    third = ingest([str(wire / "loose.txt")], settings)  # one named file: the rest of its folder is not looked at
    assert (third.updated, third.deleted) == (1, 0) and files[7].name in {Path(r).name for r in _relpaths(settings)}
    assert ingest([str(wire), str(mail)], settings).deleted == 1 and indexed() == scan()
    assert (lambda r: (r.added, r.updated, r.deleted))(ingest([str(wire), str(mail)], settings)) == (0, 0, 0)


def _relpaths(settings: Settings) -> list[str]:
    from archive.ingest.manifest import Manifest

    with Manifest(settings.index, readonly=True) as manifest:
        return [e.relpath for e in manifest.entries().values()]


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
    one = WalkedFiles(colls[:1], settings, IngestReport())  # a single collection: no search for it
    assert list(one) == [one[k] for k in range(len(one))] == want[:32]
    with pytest.raises(IndexError):
        one[-1]
