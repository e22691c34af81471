"""Ingest: turn folders of source files into index changes, incrementally and safely.

One run (`ingest`, in run.py) takes the lock (lock.py), walks the collections (walk.py), compares
each file with the manifest of what was indexed (manifest.py), reads and cleans the changed ones
(reading.py and extract.py, in forked workers: pool.py) with the boilerplate lines learnt per
folder (learnt.py), hands the documents to a sink that commits them (sinks.py), and writes the
run's report (report.py). SIGTERM and SIGINT stop it between two steps (interrupt.py); a refused
write becomes a plain message (storage.py).

The names below load their module on first use, so that reading one part (the manifest for
`archive check`, extract.py for `archive extract`) does not import the whole run and its engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.ingest.report import IngestReport
    from archive.ingest.run import MIN_POOL_FILES, ingest
    from archive.ingest.walk import collections_for

__all__ = ["MIN_POOL_FILES", "IngestReport", "collections_for", "ingest"]

_HOMES = {
    "IngestReport": "archive.ingest.report",
    "MIN_POOL_FILES": "archive.ingest.run",
    "collections_for": "archive.ingest.walk",
    "ingest": "archive.ingest.run",
}


def __getattr__(name: str) -> Any:
    """Return a public name of the package, importing the module that defines it."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
