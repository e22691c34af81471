"""The types the format readers share: a part of a source file, the limits, and a reading context."""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from archive.documents import Removed

MB = 1024 * 1024

# What a reader is given: the bytes, or a read-only memory map of a big archive or mailbox.
Buffer = bytes | mmap.mmap


@dataclass
class Part:
    """One document found in a source file (the whole file, a member, a message, an element).

    `kind` "text" or "html": `raw` still goes through the cleaner. `kind` "prepared": the reader
    structured it already (`title`, `text`, `removed` with reasons). A part with `error` could
    not be read (a failure to report); one with `skipped` holds nothing to index (reported, not
    a failure). `subpath` is appended to the file's relative path to name the part: "" for the
    file itself, "!/member" for an archive member or attachment, "#id" for a message or element.
    """

    subpath: str = ""
    kind: str = "prepared"
    raw: str = ""
    title: str = ""
    text: str = ""
    meta: dict = field(default_factory=dict)
    removed: list[Removed] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    format: str = ""  # the detected kind of the file or member this part came from ("pdf", "eml"...)
    # The timestamp (seconds since the epoch) an archive gives its member: a tar member's mtime,
    # a zip member's date, a gzip header's mtime. None outside archives, or when the archive has none.
    mtime: float | None = None

    def under(self, prefix: str) -> Part:
        """Return this part as seen from a container: subpaths (and links) gain `prefix`."""
        meta = dict(self.meta)
        if "parent" in meta:
            meta["parent"] = prefix + meta["parent"]
        if "children" in meta:
            meta["children"] = [prefix + c for c in meta["children"]]
        if "attachments" in meta:
            meta["attachments"] = [{**a, "subpath": prefix + a["subpath"]} if "subpath" in a else a
                                   for a in meta["attachments"]]
        return replace(self, subpath=prefix + self.subpath, meta=meta)


@dataclass(frozen=True)
class Limits:
    """Bounds on what one source file may unpack to; past them a member is refused with a reason."""

    max_file_bytes: int = 50 * MB  # one file, or one member once uncompressed
    max_container_bytes: int = 4096 * MB  # an archive or mailbox on disk (memory-mapped, not read)
    max_total_bytes: int = 1024 * MB  # everything one top-level archive unpacks to
    max_members: int = 10_000  # members of one top-level archive, nested ones included
    max_depth: int = 3  # archives inside archives (a mail attachment counts as a level)
    max_ratio: int = 100  # uncompressed / compressed size of a member above RATIO_FLOOR bytes
    ratio_floor: int = 1 * MB  # small members may compress very well; only big ones are judged


@dataclass
class Budget:
    """What one top-level file has unpacked so far, shared by every nested archive in it."""

    members: int = 0
    bytes: int = 0


def excludes_nothing(name: str) -> bool:
    """The test of member names when no patterns are given: pass over none."""
    return False


@dataclass
class Context:
    """What a reader needs besides the bytes: limits, settings, and where it is in a nest."""

    limits: Limits
    # Reads a member of a detected kind one level down (`archive.formats.dispatch`). Containers
    # call it through the context, so they need not import the package that imports them.
    dispatch: Callable[[str, Buffer, str, Context], Iterator[Part]]
    ocr: str = ""
    depth: int = 0
    budget: Budget = field(default_factory=Budget)
    # Names of archive members to pass over, as ingest's walker passes over files and folders
    # (its `exclude` patterns; `include` names the files to open, archives among them, so it is
    # not applied inside them).
    excluded: Callable[[str], bool] = excludes_nothing

    def passes_over(self, member: str) -> bool:
        """True when an archive member's path has an excluded folder or file name (as the walker skips)."""
        return any(self.excluded(p) for p in PurePosixPath(member).parts if p not in ("/", ".", ".."))

    def deeper(self) -> Context:
        """Return the context for the contents of a member (one level down, same budget)."""
        return replace(self, depth=self.depth + 1)
