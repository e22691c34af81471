"""SIGTERM during a full build that indexes in several processes: the ingest exits at once, says what
it committed, leaves no half-built folder and keeps the index it was rebuilding."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from clirun import ARCHIVE, run

FILES = 3000  # the signal comes after 500 documents: the indexing processes have work queued


def _write(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    for n in range(count):
        (folder / f"s{n:04d}.txt").write_text(
            f"Story {n}\n\nThe harbour story number {n} was told by the lighthouse keeper on a calm day.\n")


def test_a_stopped_full_build_with_indexing_processes_exits_and_keeps_the_old_index(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    _write(folder, 20)
    index = tmp_path / "index"
    assert run("ingest", str(folder), index=index).returncode == 0
    _write(folder, FILES)
    config = tmp_path / "archive.toml"
    config.write_text("full_procs = 2\n")
    cmd = [ARCHIVE, "ingest", "--full", "--config", str(config), "--index", str(index), str(folder)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:  # under a pipe, every 500 documents indexed is a log line
            lines.append(line)
            if "documents indexed" in line:
                break
        proc.send_signal(signal.SIGTERM)
        try:
            rest = proc.communicate(timeout=60)[1]  # reads on, so a full pipe cannot stall the ingest
        except subprocess.TimeoutExpired:
            rest = ""
    finally:
        if proc.poll() is None:  # still running: stop it and every indexing process it left
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    code = proc.returncode if rest else None
    assert code == 143, "the ingest did not exit within 60 s of SIGTERM:\n" + "".join(lines)
    assert rest.strip().splitlines()[-1].startswith("archive: interrupted; committed "), rest
    assert "Traceback" not in rest, rest
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".index.full")]
    count = run("search", "--count", "*", index=index)
    assert int(count.stdout) == 20  # the index being rebuilt is the one before the run
