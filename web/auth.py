"""Optional login for a shared server: HTTP basic credentials (or a bearer password for scripts).

On when the settings name a user and a password hash (`auth_user`, `auth_hash`, or the
ARCHIVE_AUTH_USER / ARCHIVE_AUTH_HASH environment variables). Every request then needs the
credentials, or gets 401. The password travels with every request: serve behind TLS.
"""

from __future__ import annotations

import hashlib
import hmac
import threading

from flask import Flask, Response, request

from archive.passwords import verify_password


def install(app: Flask) -> None:
    """Require the configured credentials on every request, if a user is configured."""
    settings = app.config["ARCHIVE_SETTINGS"]
    user, stored = settings.auth_user, settings.auth_hash
    if not (user and stored):
        return
    # PBKDF2 takes a noticeable fraction of a second by design; remember passwords that passed
    # (as digests, never in clear) so a logged-in browser does not pay it on every request.
    passed: set[bytes] = set()
    lock = threading.Lock()

    def check(password: str) -> bool:
        key = hashlib.sha256(password.encode()).digest()
        with lock:
            if key in passed:
                return True
        if verify_password(password, stored):
            with lock:
                passed.add(key)
            return True
        return False

    @app.before_request
    def require_login():  # type: ignore[no-untyped-def]
        given_user, password = _credentials()
        # Compare the user in constant time too, and always run the (slow) password check.
        ok_user = hmac.compare_digest(given_user.encode(), user.encode())
        if password and check(password) and ok_user:
            return None
        return Response("Login required.\n", 401, {"WWW-Authenticate": 'Basic realm="archive", charset="UTF-8"',
                                                   "Content-Type": "text/plain; charset=utf-8"})


def _credentials() -> tuple[str, str]:
    auth = request.authorization
    if auth is None:
        return "", ""
    if auth.type == "basic":
        return auth.username or "", auth.password or ""
    if auth.type == "bearer" and auth.token:
        return _bearer_user(), auth.token
    return "", ""


def _bearer_user() -> str:
    """A bearer password stands for the configured user (scripts send only the secret)."""
    from flask import current_app

    return current_app.config["ARCHIVE_SETTINGS"].auth_user
