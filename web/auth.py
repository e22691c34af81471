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
from web.throttle import LoginThrottle


def install(app: Flask) -> None:
    """Require the configured credentials on every request, if a user is configured."""
    settings = app.config["ARCHIVE_SETTINGS"]
    user, stored = settings.auth_user, settings.auth_hash
    if not (user and stored):
        return
    # PBKDF2 takes a noticeable fraction of a second by design; remember credentials that passed
    # (as digests of user and password, never in clear) so a logged-in browser does not pay it on
    # every request. The user is part of the key: a remembered password tried under another user
    # name misses the cache and pays the full check, so timing cannot tell that it is right.
    passed: set[bytes] = set()
    lock = threading.Lock()
    throttle = LoginThrottle()
    app.extensions["login_throttle"] = throttle

    def check(given_user: str, password: str) -> bool:
        key = hashlib.sha256(given_user.encode() + b"\0" + password.encode()).digest()
        with lock:
            if key in passed:
                return True
        # Always run the (slow) password check, and compare the user in constant time too.
        ok = verify_password(password, stored) & hmac.compare_digest(given_user.encode(), user.encode())
        if ok:
            with lock:
                passed.add(key)
        return ok

    @app.before_request
    def require_login() -> Response | None:
        client = request.remote_addr or ""
        wait = throttle.wait(client)
        if wait:
            return Response(f"Too many failed logins; try again in {wait} s.\n", 429,
                            {"Retry-After": str(wait), "Content-Type": "text/plain; charset=utf-8"})
        given_user, password = _credentials()
        if password and check(given_user, password):
            throttle.succeeded(client)
            return None
        if password:  # a guess; a request without credentials is only asked for them
            throttle.failed(client)
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
