"""Shared fixtures: the demo corpus, the seeds, a real index on disk, the web app on loopback."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from indexes import build_index
from needs import DEMO_ALIASES, SAMPLES, SEEDS, demo_settings, tool, unpack_bbc
from serving import app_on, served

from archive.archive import Archive
from archive.documents import Document, document_id

# The `sphinx_cluster` fixture (a fresh cluster on loopback) is defined beside the cluster helpers.
pytest_plugins = ["sphinx_cluster"]


# The commands the tests run read the demo corpus's aliases, as `--config samples/archive.toml` gives
# them (a new archive has none: tests/test_aliases_default.py); a test may name others.
os.environ.setdefault("ARCHIVE_ALIASES", str(DEMO_ALIASES))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def bbc_dir(tmp_path_factory) -> Path:
    """The BBC News corpus of ../shared, unpacked once per session: <category>/NNN.txt."""
    return unpack_bbc(tmp_path_factory.mktemp("bbc-news"))


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """An index of samples/ and the seeds, built once per test session."""
    index = tmp_path_factory.mktemp("sample-index") / "index"
    build_index([SAMPLES, SEEDS], index)
    return index


@pytest.fixture(scope="session", name="archive")
def sample_archive(sample_index) -> Iterator[Archive]:
    """The archive on the sample index, opened once (tests only read it)."""
    with Archive(demo_settings(sample_index)) as opened:
        yield opened


@pytest.fixture(scope="session")
def sample_documents(archive) -> list[Document]:
    """Every document of the sample index as stored, found from the files: what a brute-force scan reads."""
    docs = []
    for collection, root in (("samples", SAMPLES), ("seeds", SEEDS)):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            doc = archive.get(document_id(collection, path.relative_to(root).as_posix()))
            if doc is not None:  # the samples' README is not ingested
                docs.append(doc)
    assert len(docs) == archive.stats()["documents"] > 30
    return docs


@pytest.fixture
def ser_corpus(tmp_path) -> Path:
    """A collection of its own, to change between ingest runs: the samples' Seoul Economic Review texts."""
    folder = tmp_path / "ser"
    folder.mkdir()
    for f in (SAMPLES / "seoul-economic-review").glob("*.txt"):  # plain text: quick to ingest
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture
def index_dir(tmp_path) -> Path:
    """A fresh, not yet created, index folder."""
    return tmp_path / "index"


@pytest.fixture(scope="session")
def app(sample_index):
    with app_on(demo_settings(sample_index)) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app):
    """The web app served by waitress on a free loopback port, for as long as the session runs."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download: executable_path is set)."""
    chromium = tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture
def make_app():
    """Build web apps on given indexes (with extra config); close their archives afterwards."""
    with ExitStack() as apps:
        yield lambda index, **config: apps.enter_context(app_on(demo_settings(index), **config))


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
