"""`archive search`: a page of hits, the JSON of /api/search, a count, or every result as CSV or JSON Lines."""

from __future__ import annotations

import json
import sys

import click

from archive import plural
from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, load_settings, options, quiet_stdout
from archive.documents import SearchResult
from archive.errors import ArchiveError
from archive.exports import COLUMNS as EXPORT_COLUMNS
from archive.exports import export_rows, write_rows
from archive.printable import printable
from archive.query.filters import Filters
from archive.render import terminal


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
              help="One hit per story (its best-ranked version); count stories, not texts, in totals and facets.")
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Only documents from this source (repeat for any of several).")
@click.option("--date", "dates", multiple=True, metavar="WHEN",
              help="Only documents dated within 2021, 2021-03, 2020-01-01..2020-06-30, >=2019 (repeat: each holds).")
@click.option("--lang", "langs", multiple=True, metavar="CODE",
              help="Only documents in this language, e.g. en (repeat for any of several).")
@click.option("--meaning", "mode", flag_value="meaning",
              help="Rank texts by closeness in meaning to QUERY, read as plain text (docs/meaning.md).")
@click.option("--hybrid", "mode", flag_value="hybrid", help="Fuse the keyword and the meaning rankings.")
@click.option("--keyword", "mode", flag_value="keyword", default=True, hidden=True)
@options
def search(query: str, limit: int, offset: int, sort: str, as_json: bool, count: bool, fmt: str | None,
           no_aliases: bool, stories: bool, sources: tuple[str, ...], dates: tuple[str, ...], langs: tuple[str, ...],
           mode: str, index: str | None, config_file: str | None, verbose: int) -> None:
    """Search the archive. Words are ANDed; use OR, NOT, -word, "phrases", a w/N b, a pre/N b, /regex/, title:,
    source:, date: (README, "Query language"). With --source, --date or --lang the query may be ""."""
    settings = load_settings(index, config_file, verbose)
    try:
        filters = Filters(sources=sources, dates=dates, langs=langs)
        with Archive(settings) as archive:
            if fmt:
                try:
                    total = _export(archive, query, filters, sort, fmt, not no_aliases, mode)
                except BrokenPipeError:
                    quiet_stdout()  # the reader (`| head`) has all it wanted
                    sys.exit(0)
            else:
                result = archive.search(query, filters=filters, limit=0 if count else limit, offset=offset,
                                        sort=sort, facets=as_json, aliases=not no_aliases,
                                        count="stories" if stories else "texts",
                                        cite=as_json and not count and mode == "keyword", mode=mode)
                total = result.total
                for note in result.messages:
                    click.echo(f"note: {printable(note)}", err=True)
                if result.suggestion and not as_json:
                    click.echo(f"Did you mean: {printable(result.suggestion)}", err=True)
                if count:
                    click.echo(result.total)
                elif as_json and mode != "keyword":  # a ranking by meaning has no citation hash
                    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
                elif as_json:
                    cited = _cited(archive, result, filters, sort, not no_aliases)
                    click.echo(json.dumps(cited, ensure_ascii=False, indent=1))
                else:
                    _print_hits(result, filters, "story" if stories and mode == "keyword" else "document")
    except ArchiveError as exc:
        fail(exc)
        return
    sys.exit(0 if total else EXIT_NO_MATCH)


def _cited(archive: Archive, result: SearchResult, filters: Filters, sort: str, aliases: bool) -> dict:
    """Return a search's JSON object with the last ingest run and the hash of the texts matched (a citation).

    The hash comes from the search itself; when it could not take it, the texts are matched again, filters included.
    """
    from archive.research.cite import with_citation

    digest = result.texts_digest or archive.texts_digest(filters.record(result.query), aliases=aliases)[0]
    return with_citation(archive, result.to_dict(), sort, aliases, digest=digest)


def _print_hits(result: SearchResult, filters: Filters, unit: str = "document") -> None:
    tty = sys.stdout.isatty()
    at_least = "" if result.total_exact else "at least "
    p = printable
    within = f" within {p(' '.join(filters.clauses()))}" if filters else ""
    noun = plural.count(result.total, unit, "stories" if unit == "story" else "")
    click.echo(f"{at_least}{noun} {plural.match(result.total)} "
               f"{p(result.interpreted)}" + within + (" (partial)" if result.partial else ""))
    for rank, hit in enumerate(result.hits, start=result.offset + 1):
        copies = f"  [{len(hit.paths)} copies]" if len(hit.paths) > 1 else ""
        click.echo(f"\n{rank}. {p(hit.title)}{copies}")
        click.echo(f"   {p(hit.source)} | {p(hit.date) or 'no date'} | {p(hit.path)}")
        if hit.matched:
            click.echo("   matched: " + p(", ".join(hit.matched)))
        for snip in hit.snippets:
            click.echo("   " + terminal(snip, tty))


def _export(archive: Archive, query: str, filters: Filters, sort: str, fmt: str, aliases: bool,
            mode: str = "keyword") -> int:
    """Stream every result, one row per distinct text, in bounded memory; return the count."""
    rows = export_rows(archive, query, filters=filters, sort=sort, aliases=aliases, mode=mode)
    return write_rows(sys.stdout, fmt, EXPORT_COLUMNS, rows)
