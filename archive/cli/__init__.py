"""The `archive` command: ingest, search, similar, clusters, extract, serve, stats.

Results go to stdout, diagnostics to stderr. Exit codes (README, "Exit codes"): 0 ok; 1 some files failed
to ingest, or a search matched nothing; 2 usage error; 3 fatal (no index, unreadable index, the
run failed); 75 another ingest holds the lock.
"""

from __future__ import annotations

import html
import io
import json
import logging
import os
import re
import sys
from pathlib import Path

import click

from archive import plural
from archive import config as config_mod
from archive.archive import Archive
from archive.csvout import write_csv
from archive.exports import COLUMNS as EXPORT_COLUMNS, hit_row
from archive.errors import ArchiveError
from archive.documents import Document
from archive.ingest import IngestReport, collections_for
from archive.ingest.extract import extract_documents
from archive.ingest.learnt import LearntLines
from archive.ingest.walk import walk_relative
from archive.printable import PrintableArgs, printable

EXIT_NO_MATCH = 1
EXIT_FATAL = 3


def _options(fn):  # type: ignore[no-untyped-def]
    """Add the options every command shares: --index, --config, --verbose."""
    fn = click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")(fn)
    fn = click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="ARCHIVE_CONFIG",
                      help="Settings file (TOML). Env: ARCHIVE_CONFIG.")(fn)
    fn = click.option("--index", "index", type=click.Path(file_okay=False), envvar="ARCHIVE_INDEX",
                      help="Index folder. Env: ARCHIVE_INDEX. Default: ./index")(fn)
    return fn


def _settings(index: str | None, config_file: str | None, verbose: int) -> config_mod.Settings:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # file names and titles in log lines stay on their line
        if not any(isinstance(f, PrintableArgs) for f in handler.filters):
            handler.addFilter(PrintableArgs())
    return config_mod.load(config_file, index=index)


def _fail(exc: ArchiveError) -> None:
    click.echo(f"archive: {printable(exc)}", err=True)
    sys.exit(exc.exit_code)


class _Group(click.Group):
    """Turn any unexpected error into one line on stderr and exit code 3, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            _fail(exc)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (`archive search ... | head`): not an error
            _quiet_stdout()
            sys.exit(0)
        except Exception as exc:  # noqa: BLE001
            logging.getLogger("archive").debug("unexpected error", exc_info=True)
            click.echo(f"archive: unexpected error: {type(exc).__name__}: {exc} (run with -vv for details)", err=True)
            sys.exit(EXIT_FATAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archive")
def cli() -> None:
    """A searchable archive of news articles and reports."""


@cli.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 1000), help="Hits to show.")
@click.option("--offset", default=0, type=click.IntRange(0), help="Hits to skip (for paging).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the shape of /api/search (README, JSON API).")
@click.option("--count", is_flag=True, help="Print only the number of matching documents.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Stream every result as CSV or JSON Lines.")
@click.option("--no-aliases", "no_aliases", is_flag=True, help="Search names as written, without their aliases.")
@click.option("--stories", is_flag=True, help="Count stories (near-duplicate versions once), not texts, in totals and facets.")
@_options
def search(query: str, limit: int, offset: int, sort: str, as_json: bool, count: bool, fmt: str | None,
           no_aliases: bool, stories: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Search the archive. Words are ANDed; use OR, NOT, -word, "phrases", a w/N b, a pre/N b, /regex/, title:,
    source:, date: (README, "Query language")."""
    settings = _settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            if fmt:
                try:
                    total = _export(archive, query, sort, fmt, not no_aliases)
                except BrokenPipeError:
                    _quiet_stdout()  # the reader (`| head`) has all it wanted
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
        _fail(exc)
        return
    sys.exit(0 if total else EXIT_NO_MATCH)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so Python's exit flush does not fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _cited(archive: Archive, result, sort: str, aliases: bool) -> dict:  # type: ignore[no-untyped-def]
    """Return a search's JSON object with the last ingest run and the hash of the texts matched (a citation)."""
    from archive.research.cite import with_citation

    return with_citation(archive, result.to_dict(), sort, aliases, digest=result.texts_digest)


def _print_hits(result) -> None:  # type: ignore[no-untyped-def]
    tty = sys.stdout.isatty()
    at_least = "" if result.total_exact else "at least "
    p = printable
    click.echo(f"{at_least}{plural.count(result.total, 'document')} {plural.match(result.total)} {p(result.interpreted)}"
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
    for total, row in enumerate(rows, 1):
        click.echo(json.dumps(row, ensure_ascii=False))
    return total


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
def extract(paths: tuple[str, ...], as_json: bool, verbose: int) -> None:
    """Print the cleaned text of files (and what was removed, with --json) without indexing.

    Every format ingest reads is read here the same way (PDF, Word, OpenDocument, EPUB, e-mail,
    archives: one record per document), with the boilerplate lines ingest learnt for the file's
    folder, so what is printed is what ingest indexes.
    """
    settings = _settings(None, None, verbose)
    report = IngestReport()
    learnt = LearntLines(settings.index)
    failed = 0
    for coll in collections_for(list(paths), settings):
        for path, relpath in walk_relative(coll, settings, report):
            try:
                docs, problems = extract_documents(Path(path), collection=coll.name, root=coll.root,
                                                   max_bytes=settings.max_bytes, ocr=settings.ocr,
                                                   learnt=learnt.for_file(coll.name, relpath))
            except ArchiveError as exc:
                click.echo(f"archive: {printable(path)}: {printable(exc)}", err=True)
                failed += 1
                continue
            for problem in problems:
                what = "skipped" if problem.skipped else "failed"
                click.echo(f"archive: {what} {printable(path + problem.subpath)}: {printable(problem.reason)}", err=True)
                failed += not problem.skipped
            for doc in docs:
                _print_extracted(doc, as_json)
    for p in report.skipped:
        click.echo(f"archive: skipped {printable(p.path)}: {printable(p.reason)}", err=True)
    sys.exit(1 if failed else 0)


def _print_extracted(doc: Document, as_json: bool) -> None:
    if as_json:
        out = {k: getattr(doc, k) for k in ("path", "relpath", "title", "source", "date", "date_source", "url",
                                            "language", "encoding", "format", "text")}
        out["removed"] = [{"text": r.text, "reason": r.reason} for r in doc.removed]
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        part = doc.relpath[len(doc.meta.get("source_relpath") or doc.relpath):]  # "!/member", "#message"
        p = printable
        click.echo(f"# {p(doc.title)}\n{p(doc.source)} | {doc.date} ({doc.date_source}) | {doc.language} | "
                   f"{p(doc.path + part)}\n")
        click.echo(doc.text + "\n")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@_options
def serve(host: str, port: int, threads: int, index: str | None, config_file: str | None, verbose: int) -> None:
    """Serve the search web app with waitress (a production WSGI server; debug is always off)."""
    settings = _settings(index, config_file, verbose)
    import waitress

    from web import create_app
    from web.facade import get_archive

    app = create_app({"ARCHIVE_SETTINGS": settings})
    try:
        with app.app_context():
            get_archive()  # open the index now (exit code 3 when there is none) and warm it in the background
    except ArchiveError as exc:
        _fail(exc)
        return
    login = f", login required for {settings.auth_user!r}" if settings.auth_user and settings.auth_hash else ""
    click.echo(f"Serving {settings.index} on http://{host}:{port}/{login} (Ctrl-C to stop)", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="archive")


@cli.command("hash-password")
def hash_password_cmd() -> None:
    """Print a password hash for `auth_hash` (the web app's optional login); prompts twice."""
    from archive.passwords import hash_password

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if len(password) < 8:
        raise click.UsageError("use at least 8 characters")
    click.echo(hash_password(password))


@cli.command()
@click.argument("doc_id")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 1000), help="Documents to show.")
@click.option("--other-stories", is_flag=True, help="Leave out the other versions of its story too.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@_options
def similar(doc_id: str, limit: int, other_stories: bool, as_json: bool, index: str | None,
            config_file: str | None, verbose: int) -> None:
    """Show the documents most like one document (by its key terms), its own copies left out."""
    settings = _settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            found = archive.similar(doc_id, limit, exclude_story=other_stories)
    except ArchiveError as exc:
        _fail(exc)
        return
    if found is None:
        raise click.BadParameter(f"no document has the id {doc_id!r}", param_hint="DOC_ID")
    terms, related = found
    if as_json:
        out = {"id": doc_id, "terms": terms, "similar": [r.to_dict() for r in related]}
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        click.echo("key terms: " + ", ".join(terms))
        for rank, r in enumerate(related, 1):
            versions = f"  [{r.versions} versions]" if r.versions > 1 else ""
            click.echo(f"\n{rank}. {printable(r.title)}{versions}\n   {r.id} | {printable(r.source)} | {r.date or 'no date'} | score {r.score}")
    sys.exit(0 if related else EXIT_NO_MATCH)


@cli.command()
@click.argument("story_id", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="Stories to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_options
def clusters(story_id: str | None, limit: int, as_json: bool, index: str | None, config_file: str | None,
             verbose: int) -> None:
    """List the largest story clusters (near-duplicate versions), or the versions of one story."""
    settings = _settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            if story_id:
                out: object = [r.to_dict() for r in archive.story(story_id)]
            else:
                out = [{"story": k, "versions": n} for k, n in archive.largest_stories(limit)]
    except ArchiveError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    elif story_id:
        for r in out:  # type: ignore[attr-defined]
            click.echo(f"{r['date'] or 'no date'}  {printable(r['source'])}  {printable(r['title'])}  ({r['id']}, {r['copies']} files)")
    else:
        for row in out:  # type: ignore[attr-defined]
            click.echo(f"{row['versions']:5d}  {row['story']}")
    sys.exit(0 if out else EXIT_NO_MATCH)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_options
def stats(as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Show documents, sources, index size and the last ingest."""
    settings = _settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            data = archive.stats()
    except ArchiveError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    click.echo(f"index:      {data['index']}")
    click.echo(f"documents:  {data['documents']}")
    click.echo(f"size:       {data['index_bytes'] / 1e6:.1f} MB")
    last = data.get("last_ingest") or {}
    click.echo(f"last ingest: {last.get('finished', 'never')}"
               + (f" ({last['added']} added, {last['updated']} updated, {last['deleted']} deleted, {last['failed']} failed)" if last else ""))
    click.echo("sources:")
    for name, n in data["sources"].items():
        click.echo(f"  {n:6d}  {printable(name)}")
    click.echo("languages:  " + ", ".join(f"{k} {v}" for k, v in data["languages"].items()))


from archive.cli_research import register  # noqa: E402 - the research commands need the helpers above

register(cli)
from archive.cli_ingest import ingest as _ingest_command  # noqa: E402 - `archive ingest`
cli.add_command(_ingest_command)
from archive.cli_check import check as _check_command  # noqa: E402 - `archive check`
cli.add_command(_check_command)
from archive.cli_cluster import cluster as _cluster_group  # noqa: E402 - `archive cluster`, docs/cluster.md
cli.add_command(_cluster_group)
