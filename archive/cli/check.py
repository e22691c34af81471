"""`archive check`: read the whole index and its manifest, say what is damaged and what to run.

Registered on the main group in archive/cli/__init__.py. Exit 0 when the index is whole (a damaged
manifest is only a note: the next ingest rebuilds it), 3 when the index needs a rebuild.
"""

from __future__ import annotations

import sys

import click

from archive.cli.common import EXIT_FATAL, load_settings, options
from archive.engine.choice import engine_exists, has_index_files
from archive.health import check as check_health


@click.command()
@click.option("--quick", is_flag=True, help="Open every segment without reading every document and word.")
@options
def check(quick: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Check the index (table of contents, segments) and its manifest; say what to run if damaged."""
    settings = load_settings(index, config_file, verbose)
    if not has_index_files(settings):
        click.echo("archive: a cluster is checked with `archive cluster status`", err=True)
        sys.exit(2)
    if not engine_exists(settings):
        click.echo(f"archive: no index at {settings.index}. Create one with: archive ingest --index "
                   f"{settings.index} FOLDER", err=True)
        sys.exit(EXIT_FATAL)
    health = check_health(settings, thorough=not quick)
    for line in health.lines():
        click.echo(line)
    sys.exit(0 if health.index_ok else EXIT_FATAL)
