"""Run the `archive` command: installed, in a real subprocess (as a user or cron would), or in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from archive.cli import cli

ARCHIVE = str(Path(sys.executable).parent / "archive")


def run(*args: str, index: Path | None = None, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """Run `archive ARGS [--index INDEX]`; return the finished process (text stdout and stderr)."""
    cmd = [ARCHIVE, *args] + (["--index", str(index)] if index is not None else [])
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, **kwargs)


def invoke(*args: str, **kwargs) -> Result:  # type: ignore[no-untyped-def]
    """Run `archive ARGS` in this process with click's test runner; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), **kwargs)
