"""Serve the web app with waitress on a free loopback port, for tests that need a real server."""

from __future__ import annotations

import socket
import threading

from archive.config import Settings


def serve(settings: Settings, threads: int = 4) -> tuple[str, object, object]:
    """Start the app on the settings' archive; return ("127.0.0.1:PORT", server, app). Close both after."""
    from waitress.server import create_server

    from web import create_app

    app = create_app({"ARCHIVE_SETTINGS": settings, "TESTING": True})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(app, host="127.0.0.1", port=port, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    return f"127.0.0.1:{port}", server, app
