"""`archive search`: a page of hits, the JSON of /api/search, a count, or every result as CSV or JSON Lines."""

from __future__ import annotations

import html
import json
import re
import sys

import click

from archive import plural
from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, load_settings, options, quiet_stdout
from archive.csvout import write_csv
from archive.errors import ArchiveError
from archive.exports import COLUMNS as EXPORT_COLUMNS
from archive.exports import hit_row
from archive.printable import printable


@click.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 1000), help="Hits to show.")
@click.option("--offset", default=0, type=click.IntRange(0), help="Hits to skip (for paging).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the shape of /api/search (README, JSON API).")
@click.option("--count", is_flag=True, help="Print only the number of matching documents.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Stream every result as CSV or JSON Lines.")
@click.option("--no-aliases", "no_aliases", is_flag=True, help="Search names as written, without their aliases.")
@click.option("--stories", is_flag=True,
              help="Count stories (near-duplicate versions once), not texts, in totals and facets.")
@options
def search(query: str, limit: int, offset: int, sort: str, as_json: bool, count: bool, fmt: str | None,
           no_aliases: bool, stories: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Search the archive. Words are ANDed; use OR, NOT, -word, "phrases", a w/N b, a pre/N b, /regex/, title:,
    source:, date: (README, "Query language")."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            if fmt:
                try:
                    total = _export(archive, query, sort, fmt, not no_aliases)
                except BrokenPipeError:
                    quiet_stdout()  # the reader (`| head`) has all it wanted
                    sys.exit(0)
            else:
                result = archive.search(query, limit=0 if count else limit, offset=offset, sort=sort,
                                        facets=as_json, aliases=not no_aliases,
                                        count="stories" if stories else "texts", cite=as_json and not count)
                total = result.total
                for note in result.messages:
                    click.echo(f"note: {printable(note)}", err=True)
                if result.suggestion and not as_json:
                    click.echo(f"Did you mean: {printable(result.suggestion)}", err=True)
                if count:
                    click.echo(result.total)
                elif as_json:
                    click.echo(json.dumps(_cited(archive, result, sort, not no_aliases), ensure_ascii=False, indent=1))
                else:
                    _print_hits(result)
    except ArchiveError as exc:
        fail(exc)
        return
    sys.exit(0 if total else EXIT_NO_MATCH)


def _cited(archive: Archive, result, sort: str, aliases: bool) -> dict:  # type: ignore[no-untyped-def]
    """Return a search's JSON object with the last ingest run and the hash of the texts matched (a citation)."""
    from archive.research.cite import with_citation

    return with_citation(archive, result.to_dict(), sort, aliases, digest=result.texts_digest)


def _print_hits(result) -> None:  # type: ignore[no-untyped-def]
    tty = sys.stdout.isatty()
    at_least = "" if result.total_exact else "at least "
    p = printable
    click.echo(f"{at_least}{plural.count(result.total, 'document')} {plural.match(result.total)} "
               f"{p(result.interpreted)}"
               + (" (partial)" if result.partial else ""))
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        copies = f"  [{len(hit.paths)} copies]" if len(hit.paths) > 1 else ""
        click.echo(f"\n{rank}. {p(hit.title)}{copies}")
        click.echo(f"   {p(hit.source)} | {p(hit.date) or 'no date'} | {p(hit.path)}")
        if hit.matched:
            click.echo("   matched: " + p(", ".join(hit.matched)))
        for snip in hit.snippets:
            click.echo("   " + _terminal(snip, tty))


def _terminal(snippet_html: str, tty: bool) -> str:
    """Turn snippet HTML into terminal text: hits in reverse video on a terminal, [[...]] otherwise."""
    on, off = ("\x1b[7m", "\x1b[0m") if tty else ("[[", "]]")
    parts = re.split(r"(</?mark>)", snippet_html)  # marks, and the escaped text between them
    return "".join(on if t == "<mark>" else off if t == "</mark>" else printable(html.unescape(t)) for t in parts)


def _export(archive: Archive, query: str, sort: str, fmt: str, aliases: bool) -> int:
    """Stream every result, one row per distinct text, in bounded memory; return the count."""
    rows = (hit_row(hit) for hit in archive.export(query, sort=sort, aliases=aliases))
    if fmt == "csv":
        return write_csv(sys.stdout, EXPORT_COLUMNS, rows)
    total = 0
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False))
        total += 1
    return total
