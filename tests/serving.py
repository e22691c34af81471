"""Serve the web app with waitress on a free loopback port, for tests that need a real server."""

from __future__ import annotations

import socket
import threading

from archive.config import Settings


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
    from web import create_app

    app = create_app({"ARCHIVE_SETTINGS": settings, "TESTING": True})
    port, server = start(app, threads)
    return f"127.0.0.1:{port}", server, app
