"""`archive ingest`: clean and index files and folders, with a progress bar or log lines.

Registered on the main group in archive/cli/__init__.py. SIGTERM and SIGINT stop a run between two
steps: what was committed stays, the run prints one line saying how much, and exits 130
(SIGINT) or 143 (SIGTERM), as a shell reports a process killed by that signal.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from archive.cli.common import fail, load_settings, options
from archive.errors import ArchiveError
from archive.ingest import ingest as run_ingest
from archive.ingest.interrupt import Interrupted, interruptible
from archive.ingest.report import IngestReport


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--full", is_flag=True, help="Rebuild the whole index in a new folder and swap it in atomically.")
@click.option("--dry-run", is_flag=True, help="List what would change; touch nothing.")
@click.option("--strict", is_flag=True, help="Stop at the first file that fails, with exit code 3.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), help="Also write the JSON report to FILE.")
@click.option("--memory-mb", type=click.IntRange(min=64), help="Memory the ingest may hold in all its processes "
              "(MB; the setting ingest_memory_mb, 512 by default).")
@options
def ingest(paths: tuple[str, ...], full: bool, dry_run: bool, strict: bool, as_json: bool,
           report_file: str | None, memory_mb: int | None, index: str | None, config_file: str | None,
           verbose: int) -> None:
    """Clean and index files and folders (recursively); only new and changed files are read.

    Exit codes: 0 every file indexed; 1 some files failed (named on stderr); 3 the run failed;
    75 another ingest holds the lock; 130 / 143 interrupted by SIGINT / SIGTERM.
    """
    report = IngestReport()
    try:
        settings = load_settings(index, config_file, verbose)
        if memory_mb is not None:
            settings.ingest_memory_mb = memory_mb
        with interruptible(), _progress() as progress:
            run_ingest(list(paths), settings, dry_run=dry_run, full=full, strict=strict, progress=progress,
                       report=report)
    except ArchiveError as exc:
        fail(exc)
        return
    except Interrupted as exc:  # SIGTERM or SIGINT: every commit stands, the next run finishes the job
        click.echo(f"archive: interrupted; committed {report.committed} documents", err=True)
        sys.exit(exc.exit_code)
    _emit_report(report, as_json, report_file)
    sys.exit(report.exit_code)


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """Yield a progress callback: a bar on a terminal, one plain log line per commit otherwise (cron)."""
    if not sys.stderr.isatty():
        logging.getLogger("archive.ingest").setLevel(min(logging.INFO, logging.getLogger().getEffectiveLevel()))
        yield lambda done, total: None
        return
    from tqdm import tqdm

    bars: list[tqdm] = []  # made on the first call, when the number of files is known

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="file", file=sys.stderr, leave=False, mininterval=0.5))
        bars[0].update(done - bars[0].n)

    try:
        yield update
    finally:
        for bar in bars:
            bar.close()


def _emit_report(report: IngestReport, as_json: bool, report_file: str | None) -> None:
    click.echo(report.summary(), err=True)
    data = json.dumps(report.to_dict(), indent=2)
    if as_json:
        click.echo(data)
    if report_file:
        Path(report_file).write_text(data + "\n")
