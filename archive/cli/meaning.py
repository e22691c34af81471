"""`archive meaning`: train the meaning model again, or say how the stored one was made."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from archive.archive import Archive
from archive.cli.common import fail, load_settings, options
from archive.errors import ArchiveError
from archive.ingest.lock import ingest_lock
from archive.meaning import model as mm
from archive.meaning.build import refresh


@click.group()
def meaning() -> None:
    """The meaning model behind `search --meaning` and `similar --by meaning` (docs/meaning.md)."""


@meaning.command()
@options
def build(index: str | None, config_file: str | None, verbose: int) -> None:
    """Train the meaning model again from every stored text (ingest keeps it current by itself)."""
    settings = load_settings(index, config_file, verbose)
    try:
        with ingest_lock(settings.index), Archive(settings) as archive:
            note = refresh(archive.engine, Path(settings.index), 0, full=True)
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(note)


@meaning.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@options
def info(as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Say how the stored meaning model was made: texts, terms, dimensions, size, changes since training."""
    settings = load_settings(index, config_file, verbose)
    stored = mm.info(Path(settings.index))
    if stored is None:
        fail(ArchiveError(f"No meaning model in {settings.index}: `archive ingest` or `archive meaning build` "
                          "trains one."))
        return
    out = {**asdict(stored), "bytes": mm.size(Path(settings.index)), "too_small": stored.too_small}
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    click.echo(f"trained {stored.trained} on {stored.trained_on:,} texts: {stored.terms:,} terms, "
               f"{stored.dims} dimensions; {stored.documents:,} documents, {out['bytes'] / 1e6:.1f} MB; "
               f"{stored.changed_since:,} changes folded in since (updated {stored.updated})")
    if stored.too_small:
        click.echo(stored.note())
