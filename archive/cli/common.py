"""What every `archive` command shares: its common options, loading the settings, exit codes, failing.

Results go to stdout, diagnostics to stderr. Exit codes (README, "Exit codes"): 0 ok; 1 some files failed
to ingest, or a search matched nothing; 2 usage error; 3 fatal (no index, unreadable index, the
run failed); 75 another ingest holds the lock.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from archive import config as config_mod
from archive.errors import ArchiveError
from archive.printable import PrintableArgs, printable

EXIT_NO_MATCH = 1
EXIT_FATAL = 3
_F = TypeVar("_F", bound=Callable[..., Any])  # a command function, returned with its options


def options(fn: _F) -> _F:
    """Add the options every command shares: --index, --config, --verbose."""
    fn = click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")(fn)
    fn = click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="ARCHIVE_CONFIG",
                      help="Settings file (TOML). Env: ARCHIVE_CONFIG.")(fn)
    fn = click.option("--index", "index", type=click.Path(file_okay=False), envvar="ARCHIVE_INDEX",
                      help="Index folder. Env: ARCHIVE_INDEX. Default: ./index")(fn)
    return fn


def load_settings(index: str | None, config_file: str | None, verbose: int) -> config_mod.Settings:
    """Set up logging on stderr at the level of --verbose and return the settings (file, env, --index)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # file names and titles in log lines stay on their line
        if not any(isinstance(f, PrintableArgs) for f in handler.filters):
            handler.addFilter(PrintableArgs())
    return config_mod.load(config_file, index=index)


def fail(exc: ArchiveError) -> None:
    """Print the error as one line on stderr and exit with its code."""
    click.echo(f"archive: {printable(exc)}", err=True)
    sys.exit(exc.exit_code)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so Python's exit flush does not fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass



def filter_options(fn: _F) -> _F:
    """Add --source, --date and --lang: the filters of a search, apart from its query (as `Filters`)."""
    fn = click.option("--lang", "langs", multiple=True, metavar="CODE",
                      help="Only documents in this language, e.g. en (repeat for any of several).")(fn)
    fn = click.option("--date", "dates", multiple=True, metavar="WHEN",
                      help="Only documents dated within 2021, 2021-03, 2020-01-01..2020-06-30, >=2019 "
                           "(repeat: each holds).")(fn)
    fn = click.option("--source", "sources", multiple=True, metavar="NAME",
                      help="Only documents from this source (repeat for any of several).")(fn)
    return fn
