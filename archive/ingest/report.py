"""What one ingest run did: counts, failures with their reasons, and the summary and JSON it prints."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.ingest.walk import Problem
from archive.printable import printable

LAST_INGEST = "last-ingest.json"


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    full: bool = False
    index: str = ""
    files: int = 0  # files looked at
    rehashed: int = 0  # files whose mtime or size changed but whose bytes did not (not cleaned again)
    documents: int = 0  # documents in the index after the run
    distinct_texts: int = 0  # distinct cleaned texts among them (identical copies count once)
    changes: list[dict] = field(default_factory=list)  # dry run only: what would change
    run_id: str = ""  # the id of this run (archive/research/runs.py); "" for a dry run
    committed: int = 0  # documents this run has committed so far (what an interrupted run keeps)
    meaning: str = ""  # what became of the meaning model: trained, updated, retrained or unchanged
    started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def exit_code(self) -> int:
        """0 when every file was indexed, 1 when some failed (DESIGN.md §8)."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        """Return the report as plain data (for --json)."""
        d = asdict(self)
        d.pop("started")
        d["exit_code"] = self.exit_code
        return d

    def record(self, index_dir: Path) -> None:
        """Keep the run's summary beside the index, for `archive stats`."""
        self.seconds = time.monotonic() - self.started
        summary = self.to_dict()
        summary["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        summary["failed"] = len(self.failed)
        summary["skipped"] = len(self.skipped)
        summary.pop("changes")
        target = Path(index_dir) / LAST_INGEST
        partial = target.with_name(target.name + ".part")
        try:  # written aside and renamed: a full disk never leaves half a summary
            partial.write_text(json.dumps(summary, indent=1))
            os.replace(partial, target)
        except OSError:
            partial.unlink(missing_ok=True)
            raise

    def summary(self) -> str:
        """Return the summary printed on stderr."""
        verb = "would be " if self.dry_run else ""
        lines = [f"{self.added} {verb}added, {self.updated} {verb}updated, {self.deleted} {verb}deleted, "
                 f"{self.unchanged} unchanged, {len(self.skipped)} skipped, {len(self.failed)} failed "
                 f"in {self.seconds:.1f} s" + (" (full rebuild)" if self.full else "")]
        if self.documents:
            lines.append(f"index: {self.documents} documents, {self.distinct_texts} distinct texts")
        if self.meaning:
            lines.append(self.meaning)
        lines += [f"  {c['action']}: {printable(c['path'])}" for c in self.changes]
        lines += [f"  failed: {printable(p.path)}: {printable(p.reason)}"
                  + ("; the previous version stays indexed" if p.kept_previous else "") for p in self.failed]
        lines += [f"  skipped: {printable(p.path)}: {printable(p.reason)}" for p in self.skipped]
        return "\n".join(lines)
