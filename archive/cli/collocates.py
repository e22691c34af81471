"""`archive collocates QUERY`: the words near a query's matches more often than chance (log-likelihood).

Scored over every result of the query (archive/research/collocates.py says how); results on
stdout as a table or JSON, totals on stderr.
"""

from __future__ import annotations

import json
import sys

import click

from archive import plural
from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, filter_options, load_settings, options
from archive.errors import ArchiveError
from archive.printable import printable
from archive.query.filters import Filters
from archive.research import collocates as coll


@click.command()
@click.argument("query")
@click.option("--window", default=coll.WINDOW, show_default=True, type=click.IntRange(1, coll.MAX_WINDOW),
              help="Words on each side of a match that count as near it.")
@click.option("--limit", default=coll.LIMIT, show_default=True, type=click.IntRange(1, 1000),
              help="Collocates listed, best score first.")
@click.option("--min-count", default=coll.MIN_COUNT, show_default=True, type=click.IntRange(1),
              help="Least occurrences near the matches for a word to be scored.")
@click.option("--stop-words", "keep_stop_words", is_flag=True, help="Keep function words (the, of, said, ...).")
@click.option("--json", "as_json", is_flag=True, help='Print JSON: {"collocates": [{"word", "score", "count"}], ...}.')
@click.option("--no-aliases", "no_aliases", is_flag=True, help="Search names as written, without their aliases.")
@filter_options
@options
def collocates(query: str, window: int, limit: int, min_count: int, keep_stop_words: bool, as_json: bool,
               no_aliases: bool, sources: tuple[str, ...], dates: tuple[str, ...], langs: tuple[str, ...],
               index: str | None, config_file: str | None, verbose: int) -> None:
    """Words found within --window words of QUERY's matches more often than chance, over every result."""
    settings = load_settings(index, config_file, verbose)
    try:
        filters = Filters(sources=sources, dates=dates, langs=langs)
        with Archive(settings) as archive:
            found = coll.collocates(archive, query, filters=filters, window=window, limit=limit,
                                    min_count=min_count, keep_stop_words=keep_stop_words, aliases=not no_aliases)
    except ArchiveError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(f"{'word':<24} {'G2':>10} {'near':>6} {'in texts':>9}")
        for c in found.collocates:
            click.echo(f"{printable(c.word):<24} {c.score:>10.1f} {c.count:>6} {c.in_texts:>9}")
    click.echo(f"{plural.count(found.matches, 'match', 'matches')} in {plural.count(found.documents, 'document')}, "
               f"window {window}: {found.window_words:,} words near the matches of "
               f"{found.text_words:,}", err=True)
    sys.exit(0 if found.documents else EXIT_NO_MATCH)
