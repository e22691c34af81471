"""What the tests read and run: the samples and seeds, the corpora of ../shared beside the checkout, Debian tools.

CI clones the repository with `shared/` beside it, and `make test` installs the tools, so a
missing one is a broken set-up: the tests that need it fail and say how to get it, instead of
skipping (a skip would pass a suite whose corpus path or OCR install had broken).
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from archive.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"
BBC_TARBALL = CORPORA / "bbc-news" / "bbc-fulltext.tar.gz"
REUTERS_TARBALL = CORPORA / "reuters21578" / "reuters21578.tar.gz"
DEMO_ALIASES = SAMPLES / "aliases.toml"  # what samples/archive.toml names


def demo_settings(index: Path, **settings: object) -> Settings:
    """Return the settings of the demo corpus's archive (its archive.toml: its aliases) on an index."""
    return Settings(index=index, aliases=str(DEMO_ALIASES), **settings)  # type: ignore[arg-type]


def shared_file(path: Path) -> Path:
    """Return a file of ../shared; fail the test when it is not there."""
    if not path.is_file():
        pytest.fail(f"{path} is missing: the tests read the corpora of ../shared, beside the checkout")
    return path


def tool(name: str, package: str) -> str:
    """Return the path of a command; fail the test when it is not installed."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(f"{name} is not installed: `make test` installs it (apt-get install -y {package})")
    return found


def unpack_bbc(dest: Path) -> Path:
    """Unpack the BBC News corpus into dest; return its folder (bbc/<category>/NNN.txt)."""
    with tarfile.open(shared_file(BBC_TARBALL)) as tar:
        tar.extractall(dest, filter="data")
    return dest / "bbc"
