"""Boilerplate learnt from the corpus (issue 4), remembered beside the index from run to run.

Lines that recur verbatim in many plain-text documents of one folder (one source, as scrapers
save them) are that source's template: promos, share bars, sign-offs. A run learns them from the
text files it is about to clean, adds them to what earlier runs learnt for the same folder, and
cleaning removes them (only from the edges of a paragraph, like every judged line). Keeping them
in `learnt.json` inside the index folder means a file added alone on a later night is cleaned
like the ones of the first bulk ingest.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from archive.clean import decode_bytes, looks_binary
from archive.clean.learn import MIN_DOCS, learn_repeated_lines, normalise_line
from archive.extract import TEXT_SUFFIXES

logger = logging.getLogger(__name__)
FILENAME = "learnt.json"
MAX_SAMPLE_BYTES = 2 * 1024 * 1024  # larger files are reports, not template-driven articles


class LearntLines:
    """Learnt boilerplate lines per (collection, folder)."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / FILENAME
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        self.lines: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in raw.items() if isinstance(v, list)}

    @staticmethod
    def key(collection: str, relpath: str) -> str:
        """Return the key of a file's folder."""
        return f"{collection}/{os.path.dirname(relpath)}"

    def learn(self, files: Iterable[tuple[str, str, str]]) -> None:
        """Learn from (collection, path, relpath) of the plain-text files about to be cleaned."""
        groups: dict[str, list[str]] = {}
        for collection, path, relpath in files:
            if os.path.splitext(path)[1].lower() in TEXT_SUFFIXES - {""}:
                groups.setdefault(self.key(collection, relpath), []).append(path)
        for key, paths in groups.items():
            if len(paths) < MIN_DOCS:
                continue
            texts = list(dict.fromkeys(_texts(paths)))  # identical copies are one document of evidence
            found = _template_lines(texts, learn_repeated_lines(texts))
            if found:
                logger.info("learnt %d boilerplate lines from %d files of %s", len(found), len(paths), key)
                self.lines[key] = self.lines.get(key, frozenset()) | found

    def for_file(self, collection: str, relpath: str) -> frozenset[str]:
        """Return the lines learnt for a file's folder."""
        return self.lines.get(self.key(collection, relpath), frozenset())

    def save(self, index_dir: Path) -> None:
        """Write what is known into an index folder."""
        data = {k: sorted(v) for k, v in sorted(self.lines.items()) if v}
        target = Path(index_dir) / FILENAME
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")
        os.replace(tmp, target)


def _template_lines(texts: list[str], found: frozenset[str]) -> frozenset[str]:
    """Keep the learnt lines that are a minority of every document they occur in.

    A template (promo, share bar, sign-off) is a small part of each page; lines that make up most
    of a document are its article, shared with copies or versions of the same story: never learnt.
    """
    if not found:
        return found
    shared: set[str] = set()
    for text in texts:
        keys = [normalise_line(x) for x in text.split("\n") if x.strip()]
        hits = [k for k in keys if k in found]
        if keys and len(hits) * 2 > len(keys):
            shared.update(hits)
    return found - shared


def _texts(paths: list[str]) -> Iterable[str]:
    for path in paths:
        try:
            if os.path.getsize(path) > MAX_SAMPLE_BYTES:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if data.strip() and not looks_binary(data):
            yield decode_bytes(data)[0]
