"""The app's one `Archive`: opened on first use, shared by all threads, closed with the app."""

from __future__ import annotations

import threading

from flask import current_app

from archive.archive import Archive

_lock = threading.Lock()


def get_archive() -> Archive:
    """Return the app's long-lived archive, opening it on first use.

    The archive's searcher manager opens a new searcher when a commit lands, so a running app
    sees documents ingested after it started without a restart.
    """
    extensions = current_app.extensions
    archive = extensions.get("archive")
    if archive is None:
        with _lock:
            archive = extensions.get("archive")
            if archive is None:
                archive = Archive(current_app.config["ARCHIVE_SETTINGS"], warm=True)
                extensions["archive"] = archive
    return archive
