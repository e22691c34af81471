"""Is an index folder whole? What `archive check`, `archive serve` and every ingest ask first.

The index (table of contents and segments) is the source of truth: damage there needs a rebuild
from the source folders (`archive ingest --full`, which does not read the damaged index). The
manifest is a cache of the index: damage there is repaired by the next ingest on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.config import Settings
from archive.engine.common import Damage, Verdict
from archive.ingest.manifest import Manifest


@dataclass
class Health:
    """What a check of one index folder found."""

    index: Path
    verdict: Verdict
    manifest: str | None = None  # what is wrong with the manifest, or None
    collections: list[str] = field(default_factory=list)  # folders a rebuild can start from

    @property
    def index_ok(self) -> bool:
        """Return True when the index itself (not its cache) is whole."""
        return self.verdict.ok

    def lines(self) -> list[str]:
        """Return the check's findings and what to do, in plain words, one per line."""
        v = self.verdict
        out = []
        if v.ok:
            out.append(f"index {self.index}: OK, {v.documents} documents in {v.segments} segments")
        for d in v.damage or []:
            out.append(f"damaged: {d}")
        if self.manifest:
            out.append(f"damaged: manifest ({self.index / 'manifest.sqlite'}): {self.manifest}")
            out.append("  the manifest is a cache of the index: the next `archive ingest` rebuilds it")
        elif v.ok:
            out.append("manifest: OK")
        if not v.ok:
            out.append(f"  to repair: {rebuild_command(self.index, self.collections)}")
        return out


def check(settings: Settings, thorough: bool = True) -> Health:
    """Check the index files named by the settings and its manifest."""
    from archive.engine.choice import verify_files

    index = Path(settings.index)
    return Health(index, verify_files(settings, thorough), Manifest.check(index),
                  [str(p) for p in (settings.collections or {}).values()])


def rebuild_command(index: Path, collections: list[str] | None = None) -> str:
    """Return the command that rebuilds an index from its source folders."""
    folders = " ".join(collections) if collections else "FOLDER..."
    return (f"archive ingest --full --index {index} {folders}"
            "  (rebuilds from the sources; the damaged index is not read)")


def damage_message(index: Path, damage: list[Damage], collections: list[str] | None = None) -> str:
    """Return the one-paragraph message of a command that found the index damaged."""
    parts = "; ".join(str(d) for d in damage)
    return (f"The index at {index} is damaged: {parts}. Run `archive check` for details; "
            f"repair it with: {rebuild_command(index, collections)}")
