"""Research commands of `archive`: kwic (concordance), batch (many queries), saved (saved searches).

They are registered on the main group in archive/cli/__init__.py and follow its conventions: results on
stdout, messages on stderr, exit codes of the README ("Exit codes").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from archive import plural
from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, load_settings, options
from archive.csvout import CsvWriter
from archive.errors import ArchiveError
from archive.highlight import MAX_MARKS
from archive.research import batch as batch_mod
from archive.research import kwic as kwic_mod
from archive.research.saved import SavedSearches, status

SORTS = ["relevance", "newest", "oldest"]


@click.command()
@click.argument("query")
@click.option("--context", default=kwic_mod.CONTEXT_WORDS, show_default=True,
              type=click.IntRange(0, kwic_mod.MAX_CONTEXT_WORDS), help="Words of context on each side.")
@click.option("--order", type=click.Choice(kwic_mod.ORDERS), default="document", show_default=True,
              help="Sort lines by the words to the left (nearest first), to the right, by the hit, or as found.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Order of the documents.")
@click.option("--width", default=50, show_default=True, type=click.IntRange(10, 500),
              help="Characters of context shown (text).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "jsonl"]), default="text", show_default=True,
              help="csv and jsonl stream every occurrence in document order, in bounded memory.")
@click.option("--no-aliases", "no_aliases", is_flag=True, help="Search names as written, without their aliases.")
@options
def kwic(query: str, context: int, order: str, sort: str, width: int, fmt: str, no_aliases: bool,
         index: str | None, config_file: str | None, verbose: int) -> None:
    """Concordance: every occurrence of QUERY with words of context, the hits in one column."""
    settings = load_settings(index, config_file, verbose)
    totals = kwic_mod.Totals()
    try:
        with Archive(settings) as archive:
            stream = kwic_mod.occurrences(archive, query, context=context, sort=sort, aliases=not no_aliases,
                                          totals=totals)
            if fmt == "text":
                lines = list(stream)  # sorting needs them all
                for line in kwic_mod.format_text(kwic_mod.sort_lines(lines, order), width):
                    click.echo(line)
            else:
                _stream(stream, fmt)
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(f"{plural.count(totals.occurrences, 'occurrence')} in "
               f"{plural.count(totals.documents_with_occurrences, 'document')} "
               f"({plural.count(totals.documents, 'document')} {plural.match(totals.documents)})"
               + ("" if totals.complete else f" (partial: at most about {MAX_MARKS:,} occurrences per document)"),
               err=True)
    sys.exit(0 if totals.occurrences else EXIT_NO_MATCH)


def _stream(stream: Iterable[kwic_mod.Occurrence], fmt: str) -> None:
    writer = CsvWriter(sys.stdout, kwic_mod.COLUMNS) if fmt == "csv" else None
    for occ in stream:
        if writer:
            writer.write(occ.to_dict())
        else:
            click.echo(json.dumps(occ.to_dict(), ensure_ascii=False))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--filter", "filters", default="",
              help='Clauses put in front of every query, e.g. source:"Harbour Gazette" date:2020.')
@click.option("--no-occurrences", is_flag=True, help="Count documents only (faster on broad queries).")
@options
def batch(file: str, fmt: str, filters: str, no_occurrences: bool, index: str | None, config_file: str | None,
          verbose: int) -> None:
    """Run a file of queries (one a line, or CSV with query and label columns): documents, occurrences, years.

    Exit 1 when some lines could not run (each is reported with its line number); the rest still run.
    """
    settings = load_settings(index, config_file, verbose)
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8", errors="replace")
    try:
        with Archive(settings) as archive:
            rows = list(batch_mod.run_batch(archive, batch_mod.read_queries(text), filters=filters,
                                            occurrences=not no_occurrences))
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(batch_mod.to_csv(rows) if fmt == "csv" else batch_mod.to_json(rows), nl=fmt == "json")
    bad = [r for r in rows if r.error]
    for r in bad:
        click.echo(f"archive: line {r.line}: {r.error}", err=True)
    sys.exit(1 if bad else 0)


@click.group()
def saved() -> None:
    """Saved searches: name a query, then see what each ingest run added for it (and its Atom feed)."""


@saved.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--sort", type=click.Choice(SORTS), default="newest", show_default=True)
@click.option("--replace", is_flag=True, help="Replace a saved search of the same name.")
@options
def saved_add(name: str, query: str, sort: str, replace: bool, index: str | None, config_file: str | None,
              verbose: int) -> None:
    """Save QUERY (filters included, e.g. 'source:"Harbour Gazette" hyesan') under NAME."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive, SavedSearches(settings.index) as store:
            s = store.add(archive, name, query, sort, replace=replace)
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(f"saved {s.name}: {s.query} (after run {s.created_run or 'none'})", err=True)


@saved.command("remove")
@click.argument("name")
@options
def saved_remove(name: str, index: str | None, config_file: str | None, verbose: int) -> None:
    """Forget the saved search NAME."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings), SavedSearches(settings.index) as store:
            store.remove(name)
    except ArchiveError as exc:
        fail(exc)


@saved.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@options
def saved_list(as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """List saved searches with how many documents the last run added for each, and since saving."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive, SavedSearches(settings.index, readonly=True) as store:
            states = [status(archive, s) for s in store.all()]
    except ArchiveError as exc:
        fail(exc)
        return
    rows = [{"name": st.saved.name, "query": st.saved.query, "new_in_last_run": len(st.new_in_last_run),
             "new_since_saved": len(st.feed), "last_run": st.last_run.id if st.last_run else None} for st in states]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        click.echo(f"{r['name']}: {r['new_in_last_run']} new in the last run ({r['last_run']}), "
                   f"{r['new_since_saved']} since saved  | {r['query']}")
