"""Incremental ingest on a real index: the add/change/delete cycle, the manifest, --full, bad input."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

from clirun import invoke as run
from indexes import index_state

from archive.archive import Archive
from archive.config import Settings
from archive.engine.whoosh.engine import WhooshEngine
from archive.ingest import ingest
from archive.ingest.manifest import Manifest

ROOT = Path(__file__).resolve().parent.parent


def article(n: int, extra: str = "") -> str:
    """Return a small article whose text is unique to n."""
    return (f"Harbour report number {n}\n\nDockers at Port Merrow unloaded cargo batch {n} on the quay "
            f"today, and the harbour master said traffic was steady. {extra}\n")


def make_corpus(root: Path, count: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (root / f"a{n:03d}.txt").write_text(article(n))
    return root


def manifest_agrees(index: Path) -> bool:
    """Return True when the manifest describes the index's last commit and holds exactly its ids."""
    engine = WhooshEngine(index)
    try:
        with Manifest(index, readonly=True) as m:
            return m.stamp() == engine.stamp() and set(m.entries()) == set(engine.states())
    finally:
        engine.close()


def test_ingest_add_change_delete_cycle(tmp_path):
    src = make_corpus(tmp_path / "src", 3)
    settings = Settings(index=tmp_path / "ix", batch_size=2)
    first = ingest([str(src)], settings)
    assert (first.added, first.updated, first.deleted, first.unchanged) == (3, 0, 0, 0)
    (src / "a000.txt").write_text(article(0, "A new paragraph about gantry cranes was added later."))
    (src / "a001.txt").unlink()
    (src / "a003.txt").write_text(article(3))
    second = ingest([str(src)], settings)
    assert (second.added, second.updated, second.deleted, second.unchanged) == (1, 1, 1, 1)
    with Archive(settings) as archive:
        assert archive.search("gantry").total == 1
        assert archive.search('"batch 1"').total == 0
        assert archive.search('"batch 3"').total == 1
    assert manifest_agrees(settings.index)
    assert second.documents == 3


def test_no_change_run_reads_no_file_content(tmp_path):
    src = make_corpus(tmp_path / "src", 4)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    # Same size and mtime, other bytes: a run that read the file would index "zebroid".
    f = src / "a002.txt"
    st = f.stat()
    f.write_text(article(2).replace("Dockers", "Zebroid"))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size
    report = ingest([str(src)], settings)
    assert (report.unchanged, report.rehashed, report.added, report.updated) == (4, 0, 0, 0)
    with Archive(settings) as archive:
        assert archive.search("zebroid").total == 0
        assert archive.search('"batch 2"').total == 1


def test_touched_file_is_hashed_not_cleaned_again(tmp_path):
    src = make_corpus(tmp_path / "src", 2)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    os.utime(src / "a001.txt", ns=(1, 1_600_000_000_000_000_000))
    report = ingest([str(src)], settings)
    assert (report.unchanged, report.rehashed, report.updated) == (2, 1, 0)
    again = ingest([str(src)], settings)
    assert (again.unchanged, again.rehashed) == (2, 0)
    assert manifest_agrees(settings.index)


def test_new_pipeline_version_recleans_unchanged_files(tmp_path):
    src = make_corpus(tmp_path / "src", 3)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    # Make the index look cleaned by an older pipeline (as an upgrade finds it).
    engine = WhooshEngine(settings.index)
    try:
        docs = [engine.get(i) for i in engine.states()]
        for d in docs:
            d.pipeline = "0"
        engine.write(docs)
    finally:
        engine.close()
    assert not manifest_agrees(settings.index)  # the commit moved on; the manifest is stale
    report = ingest([str(src)], settings)
    assert (report.updated, report.unchanged) == (3, 0)
    assert manifest_agrees(settings.index)


def test_include_and_exclude_patterns(tmp_path):
    src = make_corpus(tmp_path / "src", 2)
    (src / "draft.tmp").write_text(article(7))
    (src / ".hidden.txt").write_text(article(8))
    (src / "b000.txt").write_text(article(9))
    report = ingest([str(src)], Settings(index=tmp_path / "ix", include=["a*"]))
    assert report.added == 2
    assert not report.failed and not report.skipped


def test_dry_run_touches_nothing_and_lists_changes(tmp_path):
    src = make_corpus(tmp_path / "src", 2)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    before = {p.name: p.stat().st_mtime_ns for p in settings.index.iterdir()}
    (src / "a005.txt").write_text(article(5))
    (src / "a000.txt").unlink()
    result = run("ingest", "--dry-run", "--json", "--index", str(settings.index), str(src))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    changes = {(c["action"], Path(c["path"]).name) for c in data["changes"]}
    assert changes == {("add", "a005.txt"), ("delete", "a000.txt")}
    assert {p.name: p.stat().st_mtime_ns for p in settings.index.iterdir()} == before
    fresh = run("ingest", "--dry-run", "--index", str(tmp_path / "none"), str(src))
    assert fresh.exit_code == 0 and not (tmp_path / "none").exists()


def test_dry_run_over_a_stale_manifest_reads_the_index_and_touches_nothing(tmp_path):
    """A manifest that does not describe the index's commit (a run killed between the two) is
    rebuilt from the index for a dry run too, in a scratch copy removed afterwards."""
    import tempfile

    src = make_corpus(tmp_path / "src", 3)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    with Manifest(settings.index) as m:
        m.apply((), (), "a-commit-the-index-never-made")
    before = {p.name: p.stat().st_mtime_ns for p in settings.index.iterdir()}
    scratch = set(Path(tempfile.gettempdir()).glob("archive-manifest-*"))
    (src / "a005.txt").write_text(article(5))
    (src / "a001.txt").unlink()
    report = ingest([str(src)], settings, dry_run=True)
    assert {(c["action"], Path(c["path"]).name) for c in report.changes} == {("add", "a005.txt"),
                                                                             ("delete", "a001.txt")}
    assert (report.unchanged, report.added, report.deleted) == (2, 1, 1)
    assert {p.name: p.stat().st_mtime_ns for p in settings.index.iterdir()} == before
    assert set(Path(tempfile.gettempdir()).glob("archive-manifest-*")) == scratch


def test_report_file_and_plain_log_lines_under_cron(tmp_path):
    src = make_corpus(tmp_path / "src", 2)
    report_file = tmp_path / "report.json"
    # As cron runs it: stderr is a pipe, not a terminal, so log lines and no progress bar.
    proc = subprocess.run([sys.executable, str(ROOT / "ingest.py"), "--report", str(report_file),
                           "--index", str(tmp_path / "ix"), str(src)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(report_file.read_text())["added"] == 2
    assert "INFO archive.ingest: committed 2 documents" in proc.stderr
    assert "2 added, 0 updated, 0 deleted, 0 unchanged, 0 skipped, 0 failed" in proc.stderr
    assert "\r" not in proc.stderr


def test_full_rebuild_swaps_folder_under_open_searchers(tmp_path):
    src = make_corpus(tmp_path / "src", 3)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    (settings.index / "README.md").write_text("kept across rebuilds\n")
    inode = settings.index.stat().st_ino
    with Archive(settings) as archive:
        assert archive.search("harbour").total == 3
        (src / "a003.txt").write_text(article(3, "Lighthouse keepers joined the strike."))
        with archive.engine.searcher() as held:  # a search in flight while the folder is swapped
            report = ingest([str(src)], settings, full=True)
            assert held.doc_count() == 3
        assert (report.added, report.updated, report.deleted) == (1, 3, 0)
        assert settings.index.stat().st_ino != inode
        assert archive.search("lighthouse").total == 1  # the manager noticed the new folder
        assert archive.search("harbour").total == 4
    assert (settings.index / "README.md").read_text() == "kept across rebuilds\n"
    assert manifest_agrees(settings.index)
    assert not list(tmp_path.glob(".ix.full-*"))


def test_full_rebuild_in_two_processes_equals_incremental_result(tmp_path):
    src = make_corpus(tmp_path / "src", 5)
    inc, full = Settings(index=tmp_path / "inc"), Settings(index=tmp_path / "full", full_procs=2)
    ingest([str(src)], inc)
    (src / "a001.txt").write_text(article(1, "Changed."))
    (src / "a002.txt").unlink()
    ingest([str(src)], inc)
    ingest([str(src)], full, full=True)
    assert index_state(inc.index) == index_state(full.index)


def test_strict_full_rebuild_keeps_the_old_index(tmp_path):
    src = make_corpus(tmp_path / "src", 2)
    index = tmp_path / "ix"
    ingest([str(src)], Settings(index=index))
    before = index_state(index)
    (src / "empty.txt").write_text("")
    (src / "a009.txt").write_text(article(9))
    result = run("ingest", "--full", "--strict", "--index", str(index), str(src))
    assert result.exit_code == 3, result.output
    assert "empty.txt: empty file" in result.stderr and "--strict" in result.stderr
    assert index_state(index) == before
    assert not list(tmp_path.glob(".ix.full-*"))


def test_duplicates_are_grouped(tmp_path):
    src = make_corpus(tmp_path / "src", 2)
    shutil.copy(src / "a000.txt", src / "copy.txt")  # byte-identical
    (src / "spaced.txt").write_text(article(0).replace(" on the quay", "  on  the quay"))  # same cleaned text
    settings = Settings(index=tmp_path / "ix")
    report = ingest([str(src)], settings)
    assert (report.documents, report.distinct_texts) == (4, 2)
    with Archive(settings) as archive:
        result = archive.search('"batch 0"')
        assert result.total == 1
        assert sorted(Path(p).name for p in result.hits[0].paths) == ["a000.txt", "copy.txt", "spaced.txt"]


def test_progress_bar_on_a_terminal_only(tmp_path):
    src = make_corpus(tmp_path / "src", 3)
    main, sub = pty.openpty()
    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real terminal has a width
    proc = subprocess.Popen([sys.executable, str(ROOT / "ingest.py"), "--index", str(tmp_path / "ix"), str(src)],
                            stdin=sub, stdout=sub, stderr=sub)
    os.close(sub)
    out = b""
    while chunk := _read(main):
        out += chunk
    os.close(main)
    assert proc.wait(timeout=120) == 0
    text = out.decode()
    assert "file/s]" in text and "3 added" in text
    assert "INFO archive.ingest" not in text


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: the child closed the terminal
        return b""


def test_an_index_made_with_size_and_mtime_indexed_takes_a_nightly_run(tmp_path, monkeypatch):
    """Indexes made before `size` and `mtime_ns` became stored-only keep them as NUMERIC fields. A
    nightly run over such an index keeps, changes and adds documents as over a new one; each
    document's size and mtime are its file's (the reference: os.stat), and search finds the new text."""
    from whoosh.fields import NUMERIC

    import archive.engine.whoosh.engine as whoosh_engine

    made_now = whoosh_engine.build_schema

    def made_before():
        schema = made_now()
        for name, field in (("size", NUMERIC(stored=True)), ("mtime_ns", NUMERIC(bits=64, stored=True))):
            schema.remove(name)
            schema.add(name, field)
        return schema

    src = make_corpus(tmp_path / "src", 6)
    settings = Settings(index=tmp_path / "ix")
    monkeypatch.setattr(whoosh_engine, "build_schema", made_before)
    assert ingest([str(src)], settings).added == 6
    monkeypatch.setattr(whoosh_engine, "build_schema", made_now)
    changed = sorted(src.rglob("*.txt"))[2]
    changed.write_text(article(2, "The quay crane tipped over in the gale."))
    (src / "new.txt").write_text(article(7, "A lighthouse keeper retired after forty winters."))
    report = ingest([str(src)], settings)
    assert (report.added, report.updated, report.unchanged) == (1, 1, 5)
    engine = WhooshEngine(settings.index)
    try:
        with engine.searcher() as s:
            assert type(s.schema["mtime_ns"]) is NUMERIC  # still the index's own schema
        assert engine.count() == 7
        for doc in engine.documents():
            st = os.stat(doc.path)
            assert (doc.size, doc.mtime_ns) == (st.st_size, st.st_mtime_ns)
    finally:
        engine.close()
    with Archive(settings) as archive:
        assert archive.search("lighthouse keeper").total == 1
        assert archive.search('"crane tipped"').total == 1
