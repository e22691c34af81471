"""A small corpus of syndicated copies made from BBC articles, with the known copy groups.

Each original is published by a "wire" collection folder; two outlets republish it with the edits
news sites make: a new headline, a few words changed, a paragraph added, the last one cut.
Used by tests/test_stories.py and tests/test_related.py.
"""

from __future__ import annotations

import random
import tarfile
from functools import lru_cache
from pathlib import Path

from needs import BBC_TARBALL, shared_file

CATEGORIES = ("business", "politics", "tech")
ADDED = "Our correspondent says the announcement was widely expected in the City and drew little reaction."


def bbc_articles(per_category: int, skip: int = 0) -> list[tuple[str, str, list[str]]]:
    """Return (category, title, paragraphs) of BBC articles (read from the tarball in ../shared)."""
    out = []
    for cat in CATEGORIES:
        for n in range(skip + 1, skip + per_category + 1):
            raw = _read(f"{cat}/{n:03d}.txt")
            lines = raw.split("\n", 1)
            paras = [p.strip() for p in lines[1].split("\n\n") if p.strip()]
            out.append((cat, lines[0].strip(), paras))
    return out


def _read(rel: str) -> str:
    return _decode(_articles()[f"bbc/{rel}"])


@lru_cache(maxsize=1)
def _articles() -> dict[str, bytes]:
    """Return every article of the tarball by its path, read in one pass."""
    with tarfile.open(shared_file(BBC_TARBALL)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile() and m.name.endswith(".txt")}  # type: ignore[union-attr]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # a few BBC files are Latin-1
        return raw.decode("latin-1")


def variant(title: str, paras: list[str], rng: random.Random, outlet: int) -> tuple[str, list[str]]:
    """Return a republished copy: a new headline, three words changed, a paragraph added or cut."""
    paras = list(paras)
    for _ in range(3):
        i = rng.randrange(len(paras))
        words = paras[i].split()
        words[rng.randrange(len(words))] = "reportedly"
        paras[i] = " ".join(words)
    if outlet == 1:
        paras.insert(1, ADDED)
    elif len(paras) > 3:
        paras = paras[:-1]
    return f"{title.rstrip('.')}: what we know" if outlet == 1 else f"Update - {title}", paras


def write(folder: Path, title: str, paras: list[str]) -> None:
    """Write one article as the BBC files are: title, blank line, paragraphs."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def build(root: Path, originals: int = 4, singles: int = 3) -> dict[str, int]:
    """Write originals (each with two republished copies) and unrelated singles under root.

    Returns the copy group of every file, keyed by its path relative to root (the collection
    name is root's name). Groups of singles have one file each.
    """
    rng = random.Random(14)
    groups: dict[str, int] = {}
    for g, (cat, title, paras) in enumerate(bbc_articles(originals)):
        rel = f"wire/{cat}-{g:02d}.txt"
        write(root / rel, title, paras)
        groups[rel] = g
        for outlet in (1, 2):
            t, p = variant(title, paras, rng, outlet)
            rel = f"outlet{outlet}/{cat}-{g:02d}.txt"
            write(root / rel, t, p)
            groups[rel] = g
    base = len(groups)
    for k, (cat, title, paras) in enumerate(bbc_articles(singles, skip=originals)):
        rel = f"wire/{cat}-single-{k:02d}.txt"
        write(root / rel, title, paras)
        groups[rel] = base + k
    return groups
