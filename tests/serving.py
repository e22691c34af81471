"""The web app for tests: built on an archive (closed afterwards), and served by waitress on a free loopback port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from archive.config import Settings


def web_app(settings: Settings, **config):  # type: ignore[no-untyped-def]
    """Return the web app on the settings' archive, in testing mode."""
    from web import create_app

    return create_app({"ARCHIVE_SETTINGS": settings, "TESTING": True, **config})


def close_app(app) -> None:  # type: ignore[no-untyped-def]
    """Close the archive an app has opened, if it opened one."""
    archive = app.extensions.get("archive")
    if archive is not None:
        archive.close()


@contextmanager
def app_on(settings: Settings, **config) -> Iterator:  # type: ignore[no-untyped-def]
    """Give the web app on the settings' archive while the block runs; close its archive after."""
    app = web_app(settings, **config)
    try:
        yield app
    finally:
        close_app(app)


def start(app, threads: int = 4) -> tuple[int, object]:  # type: ignore[no-untyped-def]
    """Serve a WSGI app on a free loopback port in a thread; return (port, server). `stop` it after."""
    from waitress.server import create_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    server.loop_thread = thread  # type: ignore[attr-defined]
    thread.start()
    return port, server


def stop(server) -> None:  # type: ignore[no-untyped-def]
    """Close the server and every open connection from its own loop thread, then wait for the loop to end.

    Closing from the test's thread races the loop: a connection closed while the loop waits on
    it made `select` fail with EBADF in the server thread, reported in whichever test ran next.
    """
    from waitress import wasyncore

    def close_all() -> None:
        # A connection's `handle_close` also closes its output buffers; `close_all` alone closes only
        # the socket, and a buffer that had spilled to a temporary file (a response over 1 MB) was
        # left for the collector, reported as a ResourceWarning in whichever test ran then.
        for channel in list(server._map.values()):
            if hasattr(channel, "outbufs"):
                try:
                    channel.handle_close()
                except OSError:
                    pass
        wasyncore.close_all(server._map, ignore_all=True)

    thread = getattr(server, "loop_thread", None)
    try:
        server.trigger.pull_trigger(close_all)
    except OSError:  # the trigger is already closed: nothing is left to wake
        pass
    if thread is not None:
        thread.join(timeout=30)
    server.task_dispatcher.shutdown()


def serve(settings: Settings, threads: int = 4) -> tuple[str, object, object]:
    """Start the app on the settings' archive; return ("127.0.0.1:PORT", server, app). `stop` the server after."""
    app = web_app(settings)
    port, server = start(app, threads)
    return f"127.0.0.1:{port}", server, app


def get(url: str, timeout: float = 60, headers: dict | None = None) -> tuple[int, str]:
    """GET a URL of a test server; return (status, body text), for errors too."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def get_json(url: str, timeout: float = 60) -> dict:
    """GET a JSON document of a test server (it must answer 200)."""
    import json

    status, body = get(url, timeout)
    assert status == 200, (url, status, body[:300])
    return json.loads(body)


@contextmanager
def served(app, threads: int = 4) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve a WSGI app on a free loopback port while the block runs; give its base URL."""
    port, server = start(app, threads)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)
