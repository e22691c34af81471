"""The `archive` command: ingest, search, similar, clusters, extract, serve, stats, meaning, aliases.

Each command, or group of commands, lives in a module of its own beside this one and is registered
here; they share their options, settings, exit codes and failure message through
archive/cli/common.py. Results go to stdout, diagnostics to stderr. Exit codes (README, "Exit
codes"): 0 ok; 1 some files failed to ingest, or a search matched nothing; 2 usage error; 3 fatal
(no index, unreadable index, the run failed); 75 another ingest holds the lock.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from archive.cli import (
    aliases,
    check,
    cluster,
    collocates,
    extract,
    ingest,
    marks,
    meaning,
    related,
    research,
    search,
    serve,
    stats,
)
from archive.cli.common import EXIT_FATAL, fail, quiet_stdout
from archive.errors import ArchiveError


class Group(click.Group):
    """Turn any unexpected error into one line on stderr and exit code 3, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            fail(exc)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (`archive search ... | head`): not an error
            quiet_stdout()
            sys.exit(0)
        except Exception as exc:  # noqa: BLE001
            logging.getLogger("archive").debug("unexpected error", exc_info=True)
            click.echo(f"archive: unexpected error: {type(exc).__name__}: {exc} (run with -vv for details)", err=True)
            sys.exit(EXIT_FATAL)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archive")
def cli() -> None:
    """A searchable archive of news articles and reports."""


for _command in (search.search, extract.extract, serve.serve, serve.hash_password_cmd, related.similar,
                 related.clusters, stats.stats, ingest.ingest, check.check, cluster.cluster, research.kwic,
                 research.batch, research.saved, collocates.collocates, marks.tag, marks.note, meaning.meaning,
                 aliases.aliases):
    cli.add_command(_command)
