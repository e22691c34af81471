"""The web app: search page with facets and timeline, document view, downloads, JSON API.

`create_app(config)` builds it; the app talks only to the `archive.Archive` facade, which keeps a
long-lived searcher shared by all requests and reopens it when a commit lands. Every endpoint
only reads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from archive import config as config_mod

logger = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an instance of the web app.

    Settings come from `ARCHIVE_SETTINGS` (an `archive.config.Settings`), or are loaded the usual
    way (config file, ARCHIVE_INDEX) with `ARCHIVE_INDEX` in the Flask config taking precedence.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("ARCHIVE_SECRET_KEY", os.urandom(16).hex()),
        PAGE_SIZE=10,
        JSON_SORT_KEYS=False,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    if "ARCHIVE_SETTINGS" not in app.config:
        index = app.config.get("ARCHIVE_INDEX")
        app.config["ARCHIVE_SETTINGS"] = config_mod.load(index=Path(index) if index else None)
    app.debug = False
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own provider, which sorts keys by default
        app.json.sort_keys = False  # keep the documented key order of the JSON API

    from web import api, auth, compare, export, marks, related, research, tagging, views

    auth.install(app)
    marks.install(app)

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(research.bp)
    app.register_blueprint(related.bp)
    app.register_blueprint(tagging.bp)
    app.register_blueprint(compare.bp)
    views.register_handlers(app)
    return app
