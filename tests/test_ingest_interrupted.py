"""SIGTERM or SIGINT during an ingest: one line saying what was committed, exit 143 or 130, the index
holds exactly the committed documents, and the next run finishes the job."""

from __future__ import annotations

import signal
import subprocess

import pytest
from clirun import ARCHIVE, run

FILES = 400
BATCH = 5


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_ingest_says_what_it_committed_and_the_next_run_finishes(tmp_path, signum, code):
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"s{n:03d}.txt").write_text(
            f"Story {n}\n\nThe harbour story number {n} was told by the lighthouse keeper on a calm day.\n")
    config = tmp_path / "archive.toml"
    config.write_text(f"batch_size = {BATCH}\n")
    index = tmp_path / "index"
    with subprocess.Popen([ARCHIVE, "ingest", "--config", str(config), "--index", str(index), str(folder)],
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:  # under a pipe, each commit is a log line
            lines.append(line)
            if "committed" in line:
                break
        proc.send_signal(signum)
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == code, "".join(lines) + rest
    last = rest.strip().splitlines()[-1]
    assert last.startswith("archive: interrupted; committed "), rest
    assert "Traceback" not in rest
    committed = int(last.split()[3])
    assert committed >= BATCH and committed % BATCH == 0 and committed < FILES
    count = run("search", "--count", "*", index=index)
    assert int(count.stdout) == committed  # nothing committed half
    again = run("ingest", str(folder), index=index)
    assert again.returncode == 0, again.stderr
    assert f"{FILES - committed} added" in again.stderr and f"{committed} unchanged" in again.stderr
