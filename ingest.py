#!/usr/bin/env python3
"""Nightly entry point for cron or systemd: `python ingest.py [PATH...]` runs `archive ingest`.

It takes the same options and gives the same exit codes (see README: 0 ok, 1 some files failed,
3 fatal, 75 another ingest is running).
"""

import sys

from archive.cli import cli

if __name__ == "__main__":
    sys.exit(cli(["ingest", *sys.argv[1:]]))
