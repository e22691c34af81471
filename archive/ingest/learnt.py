"""Boilerplate learnt from the corpus, remembered beside the index from run to run.

Lines that recur verbatim in many documents of one folder (one source, as scrapers save them)
are that source's template: promos, share bars, sign-offs. A run learns them from the text and
HTML files it is about to clean (for a page, its visible text blocks), adds them to what earlier
runs learnt for the same folder, and cleaning removes them (only from the edges of a paragraph,
like every judged line). Keeping them in `learnt.json` inside the index folder means a file
added alone on a later night is cleaned like the ones of the first bulk ingest. When a folder's
learnt set grows, `learn` says which lines are new, so that ingest re-cleans the documents of
the folder that hold one of them (`holds_any`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from archive.clean import decode_bytes, looks_binary
from archive.clean.blocks import page_blocks, parse_html
from archive.clean.learn import MIN_DOCS, learn_repeated_lines, normalise_line
from archive.ingest.extract import HTML_SUFFIXES, TEXT_SUFFIXES
from archive.ingest.pool import Lost, ordered_map

logger = logging.getLogger(__name__)
FILENAME = "learnt.json"
MAX_SAMPLE_BYTES = 2 * 1024 * 1024  # larger files are reports, not template-driven articles
LEARNABLE = (TEXT_SUFFIXES | HTML_SUFFIXES) - {""}
PROSE_WORDS = 8
SAMPLE_UNCHANGED = 30
# A folder's template is on most of its pages (learn.MIN_SHARE), so it shows in any few thousand
# of them: learning reads at most this many files of a folder, chosen by a hash of their paths,
# and its time and memory stay the same for a folder of ten thousand files or a million.
MAX_LEARN_FILES = 4000
# Files read in all before learning is spread over processes: below this, forking costs more.
MIN_POOL_FILES = 1000


class LearntLines:
    """Learnt boilerplate lines per (collection, folder)."""

    def __init__(self, index_dir: Path, max_files: int = MAX_LEARN_FILES):
        self.max_files = max_files
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

    def learn(self, changed: Iterable[tuple[str, str, str]],
              unchanged: Iterable[tuple[str, str, str]] = (), procs: int = 1) -> dict[str, frozenset[str]]:
        """Learn from (collection, path, relpath) of the text and HTML files about to be cleaned.

        A folder with changed files is learnt from them and from up to `SAMPLE_UNCHANGED` of its
        unchanged files, so that a few new files added to a known folder are judged with the rest;
        of a larger folder, from `max_files` of them (the same ones on every run). With `procs`
        above 1, folders are learnt in that many forked processes at once (what each learns is
        the same). Return, per folder key whose learnt set grew, the lines that are new.
        """
        groups: dict[str, list[str]] = {}
        for collection, path, relpath in changed:
            if os.path.splitext(path)[1].lower() in LEARNABLE:
                groups.setdefault(self.key(collection, relpath), []).append(path)
        extra: dict[str, list[str]] = {}
        for collection, path, relpath in unchanged:
            key = self.key(collection, relpath)
            if key in groups and len(extra.setdefault(key, [])) < SAMPLE_UNCHANGED and \
                    os.path.splitext(path)[1].lower() in LEARNABLE:
                extra[key].append(path)
        folders = [(key, paths) for key, changed_paths in groups.items()
                   if len(paths := sample(changed_paths + extra.get(key, []), self.max_files)) >= MIN_DOCS]
        grown: dict[str, frozenset[str]] = {}
        for (key, paths), found in zip(folders, _found_in(folders, procs)):
            if isinstance(found, Lost):
                logger.warning("no boilerplate learnt from %s: %s", key, found.reason)
                continue
            new = found - self.lines.get(key, frozenset())
            if new:
                logger.info("learnt %d new boilerplate lines from %d files of %s", len(new), len(paths), key)
                self.lines[key] = self.lines.get(key, frozenset()) | new
                grown[key] = new
        return grown

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


def sample(paths: list[str], limit: int) -> list[str]:
    """Return at most `limit` of the paths, spread over the folder and the same whatever their order."""
    if len(paths) <= limit:
        return paths
    def spread(path: str) -> bytes:
        return hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=8).digest()

    return sorted(paths, key=spread)[:limit]


def _found_in(folders: list[tuple[str, list[str]]], procs: int) -> Iterator[frozenset[str] | Lost]:
    """Yield the template lines of each (key, paths) folder, in order, learnt in `procs` processes."""
    def found(i: int) -> frozenset[str]:
        texts = list(dict.fromkeys(_texts(folders[i][1])))  # identical copies are one document of evidence
        return _template_lines(texts, learn_repeated_lines(texts))

    items = list(range(len(folders)))
    if procs <= 1 or len(folders) < 2 or sum(len(paths) for _, paths in folders) < MIN_POOL_FILES:
        yield from map(found, items)
    else:
        for _, got in ordered_map(found, items, procs, chunk=1, work=("learning", "folder")):
            yield got


def _template_lines(texts: list[str], found: frozenset[str]) -> frozenset[str]:
    """Keep the learnt lines that are a minority of the prose of every document they occur in.

    A template (promo, share bar, sign-off) is a small part of each page; lines that make up most
    of a document's prose are its article, shared with copies or versions of the same story: never
    learnt. Prose here is lines of `PROSE_WORDS` words or more, so that a page's many short menu
    and footer blocks do not hide a copied article.
    """
    if not found:
        return found
    shared: set[str] = set()
    for text in texts:
        keys = [k for k in (normalise_line(x) for x in text.split("\n")) if len(k.split()) >= PROSE_WORDS]
        hits = [k for k in keys if k in found]
        if keys and len(hits) * 2 > len(keys):
            shared.update(hits)
    return found - shared


def holds_any(path: str, lines: frozenset[str]) -> bool:
    """Return True when the file (text, or a page's visible blocks) holds one of the lines."""
    text = next(iter(_texts([path])), "")
    return any(normalise_line(x) in lines for x in text.split("\n"))


def _texts(paths: list[str]) -> Iterable[str]:
    """Yield each file's lines as text: a text file's own, a page's visible blocks one per line."""
    for path in paths:
        try:
            if os.path.getsize(path) > MAX_SAMPLE_BYTES:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if not data.strip() or looks_binary(data):
            continue
        text = decode_bytes(data)[0]
        if os.path.splitext(path)[1].lower() in HTML_SUFFIXES:
            root = parse_html(text)
            text = "\n".join(b.text for b in page_blocks(root)) if root is not None else ""
        yield text
