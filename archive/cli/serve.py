"""`archive serve` runs the web app; `archive hash-password` makes the hash of its optional login."""

from __future__ import annotations

import click

from archive.cli.common import fail, load_settings, options
from archive.errors import ArchiveError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@options
def serve(host: str, port: int, threads: int, index: str | None, config_file: str | None, verbose: int) -> None:
    """Serve the search web app with waitress (a production WSGI server; debug is always off)."""
    settings = load_settings(index, config_file, verbose)
    import waitress

    from web import create_app
    from web.facade import get_archive

    app = create_app({"ARCHIVE_SETTINGS": settings})
    try:
        with app.app_context():
            get_archive()  # open the index now (exit code 3 when there is none) and warm it in the background
    except ArchiveError as exc:
        fail(exc)
        return
    login = f", login required for {settings.auth_user!r}" if settings.auth_user and settings.auth_hash else ""
    click.echo(f"Serving {settings.index} on http://{host}:{port}/{login} (Ctrl-C to stop)", err=True)
    waitress.serve(app, host=host, port=port, threads=threads, ident="archive")


@click.command("hash-password")
def hash_password_cmd() -> None:
    """Print a password hash for `auth_hash` (the web app's optional login); prompts twice."""
    from archive.passwords import hash_password

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if len(password) < 8:
        raise click.UsageError("use at least 8 characters")
    click.echo(hash_password(password))
