"""Cleaning in worker processes: the same index, manifest, learnt lines and report as cleaning in-process."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from archive.config import Settings, clean_procs, default_procs
from archive.documents import document_id
from archive.engine.whoosh.engine import WhooshEngine
from archive.ingest import MIN_POOL_FILES, ingest
from archive.ingest.manifest import Manifest
from archive.ingest.pool import Lost, ordered_map

PROMO = "Subscribe to the Merrow Ledger for the whole story every morning"


def make_corpus(root: Path, count: int) -> Path:
    """Write `count` articles sharing a promo line (learnt), a syndicated pair, and files that fail."""
    for n in range(count):
        folder = root / ("port" if n % 2 else "town")
        folder.mkdir(parents=True, exist_ok=True)
        words = " ".join(f"cargo{n}x{k}" for k in range(12))
        (folder / f"a{n:03d}.txt").write_text(
            f"Harbour report number {n}\n\nDockers unloaded {words} on the quay today, and the "
            f"harbour master said traffic was steady.\n\n{PROMO}\n")
    shutil.copy(root / "town" / "a000.txt", root / "town" / "copy.txt")  # one story, two documents
    (root / "port" / "broken.txt").write_bytes(b"\x00\x01binary\x00" * 50)  # fails to clean
    (root / "port" / "empty.txt").write_text("")
    (root / "port" / "notes.bin").write_bytes(b"\x7fELF" + b"\x00" * 64)  # skipped: unsupported
    return root


def state(index: Path) -> tuple[dict, dict, str]:
    """Return the documents' stored fields, the manifest's entries and the learnt lines of an index."""
    engine = WhooshEngine(index)
    try:
        docs = {}
        for i in engine.states():
            d = engine.get(i)
            docs[i] = (d.title, d.text, d.language, d.content_hash, d.story, d.date, d.source,
                       [r.__dict__ for r in d.removed])
    finally:
        engine.close()
    with Manifest(index, readonly=True) as m:
        entries = {i: e._replace() for i, e in m.entries().items()}
    return docs, entries, (index / "learnt.json").read_text()


def report_of(r) -> dict:
    d = r.to_dict()
    for key in ("seconds", "index", "run_id"):
        d.pop(key)
    d["meaning"] = re.sub(r" in [0-9.]+ s", "", d.get("meaning", ""))  # how long the training took varies
    return d


def test_default_processes_follow_the_cores():
    cores = os.cpu_count() or 1
    assert Settings().full_procs == default_procs() == max(1, min(cores, 4))
    # Beside a full build's indexing processes too: the ingest process is the build's bottleneck.
    assert clean_procs(Settings()) == max(1, min(cores, 4))
    assert clean_procs(Settings(clean_procs=3)) == 3  # a number set is a number kept


def test_two_cleaning_processes_give_what_one_gives(tmp_path):
    src = make_corpus(tmp_path / "src", MIN_POOL_FILES + 8)
    results = {}
    for procs in (1, 2):
        s = Settings(index=tmp_path / f"ix{procs}", clean_procs=procs, batch_size=7)
        first = ingest([str(src)], s)
        full = ingest([str(src)], Settings(index=tmp_path / f"full{procs}", clean_procs=procs, full_procs=2), full=True)
        results[procs] = (report_of(first), report_of(full), state(s.index), state(tmp_path / f"full{procs}"))
    one, two = results[1], results[2]
    assert one == two
    report, _, (docs, entries, learnt), _ = one
    assert report["added"] == MIN_POOL_FILES + 9
    failed = {Path(p["path"]).name: p["reason"] for p in report["failed"]}
    assert failed == {"broken.txt": "binary content, not text", "empty.txt": "empty file"}
    assert [Path(p["path"]).name for p in report["skipped"]] == ["notes.bin"]
    assert PROMO in learnt and not any(PROMO in d[1] for d in docs.values())  # learnt and removed
    story = {i: d[4] for i, d in docs.items()}
    assert story[document_id("src", "town/copy.txt")] == story[document_id("src", "town/a000.txt")]
    assert len(set(story.values())) == len(story) - 1


def test_a_big_incremental_run_in_workers_equals_one_in_process(tmp_path):
    src = make_corpus(tmp_path / "src", MIN_POOL_FILES + 4)
    for procs in (1, 2):
        ingest([str(src)], Settings(index=tmp_path / f"ix{procs}", clean_procs=procs))
    later = time.time_ns() + 5_000_000_000
    for n in range(0, MIN_POOL_FILES + 4, 1):
        path = next(src.glob(f"*/a{n:03d}.txt"))
        if n % 3 == 0:
            path.write_text(path.read_text() + "\nA late paragraph.\n")
        os.utime(path, ns=(later, later))  # the rest: touched only, their bytes are the same
    reports = [report_of(ingest([str(src)], Settings(index=tmp_path / f"ix{procs}", clean_procs=procs)))
               for procs in (1, 2)]
    assert reports[0] == reports[1]
    assert reports[0]["rehashed"] > MIN_POOL_FILES // 2 and reports[0]["updated"] >= MIN_POOL_FILES // 3
    assert state(tmp_path / "ix1") == state(tmp_path / "ix2")


def _work(item: int) -> str:
    """A real worker function: item 5 kills its process, 7 hangs, 9 raises."""
    if item == 5:
        os._exit(3)
    if item == 7:
        time.sleep(3600)
    if item == 9:
        raise ValueError("no nines")
    return f"done {item} in {os.getpid()}"


def test_the_pool_answers_in_order_and_reports_a_dead_or_stuck_worker():
    items = list(range(40))
    got = list(ordered_map(_work, items, 2, chunk=4, timeout=2))
    assert [i for i, _ in got] == items
    answers = dict(got)
    assert answers[5] == Lost("the cleaning process died on this file (exit code 3)")
    assert isinstance(answers[7], Lost) and "longer than 2 s" in answers[7].reason
    assert answers[9] == Lost("ValueError: no nines")
    rest = [answers[i] for i in items if i not in (5, 7, 9)]
    assert all(a.startswith(f"done {i} in ") for i, a in zip([i for i in items if i not in (5, 7, 9)], rest))
    assert len({a.rsplit(" ", 1)[1] for a in rest}) >= 3  # the dead and the stuck workers were replaced
    assert int(answers[6].rsplit(" ", 1)[1]) != os.getpid()
