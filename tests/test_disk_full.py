"""A full disk during an ingest: a message naming the path and what to do, no partial segment files,
nothing committed half, and the next run works once there is space.

As root the index lives on a real 2 MB tmpfs (ENOSPC); otherwise the ingest runs under a file
size limit (`ulimit -f`, EFBIG), the same refused write from the operating system.
"""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest
from clirun import run
from conftest import SAMPLES


def _mount(disk: Path, size: str) -> bool:
    if os.getuid() != 0:
        return False
    disk.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    mounted = _mount(disk, "2m")
    if not mounted:
        disk.mkdir(exist_ok=True)
    yield disk, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _limit_file_size():  # type: ignore[no-untyped-def]
    resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))


def test_full_disk_is_reported_cleaned_up_and_recovered(small_disk):
    disk, mounted = small_disk
    index = disk / "index"
    first = run("ingest", str(SAMPLES), index=index, preexec_fn=None if mounted else _limit_file_size)
    assert first.returncode == 3, first.stderr
    message = first.stderr.strip().splitlines()[-1]
    assert message.startswith(f"archive: Cannot write {index}") or message.startswith(f"archive: Cannot write {disk}")
    assert "then run the ingest again" in message and "unexpected error" not in message
    assert ("No space left on device" in message) if mounted else ("File too large" in message)
    leftovers = [f.name for f in index.glob("MAIN_*") if f.name != "MAIN_WRITELOCK"]
    assert leftovers == []  # the failed segment's partial files are gone
    assert run("search", "--count", "*", index=index).stdout.strip() == "0"  # the last commit: empty
    if mounted:
        subprocess.run(["mount", "-o", "remount,size=32m", str(disk)], check=True)
    again = run("ingest", str(SAMPLES), index=index)
    assert again.returncode == 0, again.stderr
    assert "35 added" in again.stderr
    assert run("search", "--count", "border", index=index).returncode == 0
    assert run("check", index=index).returncode == 0
