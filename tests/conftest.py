"""Shared fixtures: the demo corpus, the seeds, a real index on disk, the web app on loopback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from archive.config import Settings
from archive.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """An index of samples/ and the seeds, built once per test session."""
    index = tmp_path_factory.mktemp("sample-index") / "index"
    report = ingest([str(SAMPLES), str(SEEDS)], Settings(index=index))
    assert not report.failed, report.summary()
    return index


@pytest.fixture
def index_dir(tmp_path) -> Path:
    """A fresh, not yet created, index folder."""
    return tmp_path / "index"


@pytest.fixture(scope="session")
def app(sample_index):
    from web import create_app

    app = create_app({"ARCHIVE_SETTINGS": Settings(index=sample_index), "TESTING": True})
    yield app
    archive = app.extensions.get("archive")
    if archive is not None:
        archive.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app):
    """The web app served by waitress on a free loopback port, for as long as the session runs."""
    from serving import start, stop

    port, server = start(app)
    yield f"http://127.0.0.1:{port}"
    stop(server)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download: executable_path is set)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: `make test` installs it with apt")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture
def make_app():
    """Build web apps on given indexes (with extra config); close their archives afterwards."""
    from web import create_app

    apps = []

    def make(index: Path, **config):  # type: ignore[no-untyped-def]
        app = create_app({"ARCHIVE_SETTINGS": Settings(index=index), "TESTING": True, **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        archive = app.extensions.get("archive")
        if archive is not None:
            archive.close()


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    """Where browser tests save screenshots: $ARCHIVE_SHOTS (e.g. /tmp/shots) or a temporary folder."""
    path = Path(os.environ.get("ARCHIVE_SHOTS") or tmp_path_factory.mktemp("shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _page(browser, **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(**options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return context, page, errors


@pytest.fixture
def page(browser):
    """A fresh browser tab; the test fails if a page raises a script error or logs one (e.g. a CSP violation)."""
    context, page, errors = _page(browser, accept_downloads=True)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def nojs_page(browser):
    """A browser tab with JavaScript switched off."""
    context, page, errors = _page(browser, java_script_enabled=False)
    yield page
    context.close()
    assert not errors, errors
