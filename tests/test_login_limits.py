"""Password guessing against the optional login is slowed, then refused with 429 and Retry-After,
and a right password under a wrong user name costs the same full check as a wrong one."""

from __future__ import annotations

import base64
import dataclasses
import time

import pytest
from serving import app_on

import web.auth
from archive.config import Settings
from archive.passwords import hash_password, verify_password
from web.throttle import FREE_FAILURES

SECRET = "correct horse battery"


@pytest.fixture
def app(sample_index):
    settings = dataclasses.replace(Settings(index=sample_index), auth_user="ana",
                                   auth_hash=hash_password(SECRET, iterations=1000))
    with app_on(settings) as app:
        yield app


def _get(app, user: str, password: str, client: str = "192.0.2.1"):  # type: ignore[no-untyped-def]
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return app.test_client().get("/search?q=oil", headers={"Authorization": "Basic " + token},
                                 environ_base={"REMOTE_ADDR": client})


def test_repeated_failures_from_one_client_are_refused_with_retry_after(app):
    for _ in range(FREE_FAILURES):
        assert _get(app, "ana", "guess").status_code == 401
    refused = _get(app, "ana", "guess")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert wait >= 1
    assert _get(app, "ana", SECRET).status_code == 429  # not even the right password while it waits
    assert _get(app, "ana", SECRET, client="198.51.100.7").status_code == 200  # other clients are not held


def test_each_further_failure_doubles_the_wait_and_a_login_clears_it(app):
    for _ in range(FREE_FAILURES):
        _get(app, "ana", "guess")
    first = int(_get(app, "ana", "guess").headers["Retry-After"])
    time.sleep(first + 0.2)
    assert _get(app, "ana", "guess").status_code == 401  # looked at again after the wait, and wrong
    second = int(_get(app, "ana", "guess").headers["Retry-After"])
    assert second > first
    time.sleep(second + 0.2)
    assert _get(app, "ana", SECRET).status_code == 200
    assert _get(app, "ana", "guess").status_code == 401  # the record was cleared by the login


def test_a_right_password_under_a_wrong_user_pays_the_full_check(app, monkeypatch):
    assert _get(app, "ana", SECRET).status_code == 200  # the password is now remembered
    checks = []

    def counting(password: str, stored: str) -> bool:
        checks.append(password)
        return verify_password(password, stored)

    monkeypatch.setattr(web.auth, "verify_password", counting)
    assert _get(app, "bob", SECRET, client="203.0.113.5").status_code == 401
    assert _get(app, "bob", "wrong", client="203.0.113.6").status_code == 401
    assert checks == [SECRET, "wrong"]  # both ran the slow hash: no shortcut tells the right one
    assert _get(app, "ana", SECRET).status_code == 200 and len(checks) == 2  # the real user keeps the cache
