"""The web app: search page with facets and timeline, document view, downloads, JSON API.

`create_app(config)` builds it; the app talks only to the `archive.Archive` facade, which keeps a
long-lived searcher shared by all requests and reopens it when a commit lands. Every endpoint
only reads.
"""

from __future__ import annotations

import logging
import os
import secrets
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
        SECRET_KEY=os.environ.get("ARCHIVE_SECRET_KEY"),
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
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(Path(app.config["ARCHIVE_SETTINGS"].index))
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


def secret_key(index: Path) -> str:
    """Return the key that signs session cookies when `ARCHIVE_SECRET_KEY` is not set.

    It is kept in a file beside the index folder (`<index>.secret`, readable by its owner only),
    made on first use, so that form tokens and logins survive a restart. Where that file cannot be
    written (a read-only index), a key of this process is used and said: tokens then last until
    the server stops.
    """
    index = Path(index).absolute()
    path = index.parent / f"{index.name}.secret"
    try:
        kept = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return _new_key_file(path)
    except (OSError, ValueError) as exc:
        logger.warning("cannot read %s (%s): sessions last until the server stops", path, exc)
        return secrets.token_hex(32)
    if not kept:
        logger.warning("%s is empty: sessions last until the server stops", path)
        return secrets.token_hex(32)
    return kept


def _new_key_file(path: Path) -> str:
    """Make the key file, written whole aside then linked into place (a reader never sees half a key)."""
    key = secrets.token_hex(32)
    aside = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:  # another server process made it first: use theirs
            key = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        logger.warning("cannot write %s (%s): sessions last until the server stops "
                       "(set ARCHIVE_SECRET_KEY to keep them)", path, exc)
    finally:
        aside.unlink(missing_ok=True)
    return key
