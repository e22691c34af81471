"""What every engine shares and no engine owns: facet and sort names, file states, metadata keys,
and what a check of an index found.

This module imports no search library: the Whoosh engine (`whoosh/`) and the Sphinx
engine (`sphinx/`) both build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FACET_FIELDS = ("source", "year", "lang", "month")
SORTS = ("relevance", "newest", "oldest")
TIME_BUDGET = 10.0  # seconds a search may walk its matches before it stops and says so
SUGGEST_BELOW = 3  # look for typos when fewer documents than this match
NUMTERMS = 12  # key terms searched for "more like this"; more terms rank better but cost more


@dataclass
class FileState:
    """What the index holds about one source file: enough to tell whether it changed."""

    id: str
    collection: str
    relpath: str
    size: int
    mtime_ns: int
    content_hash: str
    pipeline: str


@dataclass
class Related:
    """A document related to another one (or a version of a story), with its story's size."""

    id: str
    title: str
    source: str
    date: str
    path: str
    score: float
    story: str
    versions: int  # distinct texts in its story
    copies: int = 1  # files with exactly this text

    def to_dict(self) -> dict:
        """Return the plain data, for JSON."""
        return dict(self.__dict__)


@dataclass
class Damage:
    """One damaged part of an index folder, in words a user can act on."""

    part: str  # "table of contents", "segment MAIN_xyz", "manifest"
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.part} ({self.path}): {self.detail}"


@dataclass
class Verdict:
    """What a check found: the documents and segments it read, and the damage."""

    documents: int = 0
    segments: int = 0
    damage: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when nothing is damaged."""
        return not self.damage


def people(*values: object) -> str:
    """Return the comma-separated keys `from:`/`to:` match: each address, its user part, its name."""
    keys: list[str] = []
    for value in values:
        items = value if isinstance(value, list) else [value] if value else []
        for item in items:
            text = str(item)
            for m in re.finditer(r"[\w.+-]+@[\w.-]+", text):
                keys += [m.group(0), m.group(0).split("@")[0]]
            name = re.sub(r"<[^>]*>|[\w.+-]+@[\w.-]+|[\"',]", " ", text).strip()
            if name:
                keys.append(" ".join(name.split()))
    return ",".join(dict.fromkeys(k.lower() for k in keys if k))


def source_key(name: str) -> str:
    """Return the indexed form of a source name: lower case, single spaces."""
    return " ".join(name.split()).lower()
