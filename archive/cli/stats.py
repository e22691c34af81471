"""`archive stats`: documents, sources, languages, index size and the last ingest run."""

from __future__ import annotations

import json

import click

from archive.archive import Archive
from archive.cli.common import fail, load_settings, options
from archive.errors import ArchiveError
from archive.printable import printable


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@options
def stats(as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Show documents, sources, index size and the last ingest."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            data = archive.stats()
    except ArchiveError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"index:      {data['index']}")
    click.echo(f"documents:  {data['documents']}")
    click.echo(f"size:       {data['index_bytes'] / 1e6:.1f} MB")
    last = data.get("last_ingest") or {}
    click.echo(f"last ingest: {last.get('finished', 'never')}"
               + (f" ({last['added']} added, {last['updated']} updated, {last['deleted']} deleted, "
                  f"{last['failed']} failed)" if last else ""))
    click.echo("sources:")
    for name, n in data["sources"].items():
        click.echo(f"  {n:6d}  {printable(name)}")
    click.echo("languages:  " + ", ".join(f"{k} {v}" for k, v in data["languages"].items()))
