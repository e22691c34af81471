"""Bad input never aborts a run: each kind is reported with its path and reason; locks name their holder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import invoke

from archive.config import Settings
from archive.ingest import ingest
from archive.ingest.lock import lock_path

ROOT = Path(__file__).resolve().parent.parent
GOOD = "Harbour report\n\nDockers at Port Merrow unloaded cargo on the quay today, the harbour master said.\n"


def reasons(report) -> dict[str, str]:
    """Return file name -> reason for every failed or skipped file."""
    return {Path(p.path).name: p.reason for p in report.failed + report.skipped}


def test_every_bad_input_kind_is_reported_and_the_rest_indexed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(GOOD)
    (src / "empty.txt").write_text("")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02\x03 not text \x00")
    (src / "huge.txt").write_text(GOOD * 100)  # over the 2 KB cap set below
    (src / "undecodable.txt").write_bytes(bytes(range(1, 32)) * 20 + bytes(range(128, 160)) * 20)
    (src / "malformed.html").write_text("<html><body><div><p>Dockers walked out at Port Merrow over pay <b>today"
                                        "</div></table><p>The strike <i>spread</p></td>")  # indexed anyway
    (src / "tags-only.html").write_text("<html><head><title></title></head><body><div><p></div></table>")
    (src / "loop.txt").symlink_to("loop.txt")  # a link to itself
    (src / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (src / "sub").mkdir()
    (src / "sub" / "up").symlink_to(src, target_is_directory=True)  # a folder loop
    os.mkfifo(src / "pipe.txt")  # reading it would block forever: never read
    # Reading /proc/self/mem fails with EIO even as root, but a link out of the collection is
    # refused before anything is read (links must not pull files from elsewhere into the archive).
    (src / "io-error.txt").symlink_to("/proc/self/mem")
    report = ingest([str(src)], Settings(index=tmp_path / "ix", max_file_mb=2 / 1024))
    why = reasons(report)
    assert report.added == 2  # good.txt and malformed.html
    assert "malformed.html" not in why
    assert why["empty.txt"] == "empty file"
    assert why["binary.txt"] == "binary content, not text"
    assert why["huge.txt"].startswith("too large (")
    assert why["undecodable.txt"].startswith("undecodable:")
    assert why["tags-only.html"] == "no text left after cleaning"
    assert why["loop.txt"] == "symbolic link loop"
    assert why["dangling.txt"].startswith("vanished during the run (or a broken symbolic link)")
    assert why["up"].startswith("symbolic link loop")
    assert why["pipe.txt"] == "not a regular file (a named pipe)"
    assert why["io-error.txt"] == "symbolic link to a place outside the collection"
    assert report.exit_code == 1


@pytest.mark.skipif(os.geteuid() == 0,
                    reason="root reads files whatever their mode; the EIO case covers unreadable files")
def test_unreadable_file_is_reported(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(GOOD)
    (src / "secret.txt").write_text(GOOD + "secret")
    (src / "secret.txt").chmod(0)
    report = ingest([str(src)], Settings(index=tmp_path / "ix"))
    assert reasons(report)["secret.txt"] == "cannot read: Permission denied"


def test_file_vanishing_mid_run_is_reported(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.txt", "b.txt"):
        (src / name).write_text(GOOD.replace("today", f"today ({name})"))

    def delete_b(done: int, total: int) -> None:
        if done == 1:  # after a.txt, before b.txt: the folder was listed with b.txt in it
            (src / "b.txt").unlink()

    report = ingest([str(src)], Settings(index=tmp_path / "ix"), progress=delete_b)
    assert report.added == 1
    assert reasons(report)["b.txt"].startswith("vanished during the run")


def test_failing_file_keeps_its_previous_version(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(GOOD)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    (src / "a.txt").write_bytes(b"\x00\x00 truncated by a bad copy")
    result = invoke("ingest", "--index", str(settings.index), str(src))
    assert result.exit_code == 1
    assert "a.txt: binary content, not text; the previous version stays indexed" in result.stderr
    assert invoke("search", "--count", "--index", str(settings.index), "dockers").stdout == "1\n"


def _hold_lock(index: Path) -> subprocess.Popen:
    """Start a real process that takes the ingest lock and waits."""
    code = ("import sys; from archive.ingest.lock import ingest_lock\n"
            f"with ingest_lock({str(index)!r}):\n    print('held', flush=True); sys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_second_ingest_exits_75_naming_the_holder_and_a_dead_holders_lock_is_cleared(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(GOOD)
    index = tmp_path / "ix"
    holder = _hold_lock(index)
    try:
        result = invoke("ingest", "--index", str(index), str(src))
        assert result.exit_code == 75, result.output
        assert f"Another ingest is running on {index} (pid {holder.pid} on " in result.stderr
    finally:
        holder.kill()  # SIGKILL: no clean-up code runs
        holder.wait()
        holder.stdin.close()
        holder.stdout.close()
    assert str(holder.pid) in lock_path(index).read_text()  # the dead holder's note is still there
    proc = subprocess.run([sys.executable, str(ROOT / "ingest.py"), "--index", str(index), str(src)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"An earlier ingest (pid {holder.pid} on" in proc.stderr and "its lock was cleared" in proc.stderr
    assert lock_path(index).read_text() == ""
