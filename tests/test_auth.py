"""Optional login for `archive serve`: hashed password, 401 without it, basic and bearer credentials."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from clirun import invoke
from serving import app_on

from archive.config import Settings
from archive.passwords import hash_password, verify_password

SECRET = "correct horse battery"


def test_password_hash_is_salted_and_verifies():
    a, b = hash_password(SECRET, iterations=1000), hash_password(SECRET, iterations=1000)
    assert a != b and SECRET not in a
    assert verify_password(SECRET, a) and not verify_password("wrong", a)
    assert not verify_password(SECRET, "garbage") and not verify_password(SECRET, "")


def test_hash_password_command_prints_a_usable_hash():
    result = invoke("hash-password", input=f"{SECRET}\n{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert verify_password(SECRET, result.stdout.strip().splitlines()[-1])


@pytest.fixture
def locked_client(sample_index):
    settings = dataclasses.replace(Settings(index=sample_index), auth_user="ana",
                                   auth_hash=hash_password(SECRET, iterations=1000))
    with app_on(settings) as app:
        yield app.test_client()


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("path", ["/", "/search?q=oil", "/api/search?q=oil", "/static/style.css",
                                  "/doc/0000000000000000"])
def test_every_route_needs_the_login(locked_client, path):
    response = locked_client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert locked_client.get(path, headers=_basic("ana", "wrong")).status_code == 401
    assert locked_client.get(path, headers=_basic("bob", SECRET)).status_code == 401


def test_right_credentials_get_through(locked_client):
    assert locked_client.get("/search?q=oil", headers=_basic("ana", SECRET)).status_code == 200
    api = locked_client.get("/api/search?q=oil", headers={"Authorization": f"Bearer {SECRET}"})
    assert api.status_code == 200 and api.get_json()["total"] > 0


def test_without_a_configured_user_no_login_is_asked(client):
    assert client.get("/search?q=oil").status_code == 200
