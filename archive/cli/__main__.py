"""`python -m archive.cli ARGS` runs the `archive` command."""

from archive.cli import cli

cli(prog_name="archive")
