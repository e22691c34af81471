"""Password hashes for the web app's optional login: PBKDF2-SHA256, salted, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 300_000
SCHEME = "pbkdf2_sha256"


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """Return a storable hash: 'pbkdf2_sha256$<iterations>$<salt>$<digest>' (base64)."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    enc = lambda b: base64.b64encode(b).decode().rstrip("=")  # noqa: E731
    return f"{SCHEME}${iterations}${enc(salt)}${enc(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Return True when the password matches the stored hash (constant-time comparison)."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        dec = lambda s: base64.b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
        got = hashlib.pbkdf2_hmac("sha256", password.encode(), dec(salt), int(iterations))
        return hmac.compare_digest(got, dec(digest))
    except (ValueError, TypeError):
        return False
