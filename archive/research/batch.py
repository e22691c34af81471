"""Batch queries: a file of queries in, per query the documents, occurrences and counts per year out.

The file is either one query per line, or CSV with a header naming a `query` column and
optionally a `label` column (issue 12). Blank lines and lines starting with `#` are skipped. A
query that cannot be understood gives a row with its line number and the reason; the rest run.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from archive.archive import Archive
from archive.csvout import csv_text
from archive.errors import ArchiveError, BadQuery
from archive.highlight import merge_spans

logger = logging.getLogger(__name__)
MAX_QUERIES = 1000
COLUMNS = ["line", "label", "query", "documents", "occurrences", "error"]


@dataclass
class BatchQuery:
    """One query of a batch, with the line it came from."""

    line: int
    label: str
    query: str


@dataclass
class BatchRow:
    """What one query of a batch found (or why it could not run)."""

    line: int
    label: str
    query: str
    documents: int = 0
    occurrences: int = 0
    years: dict[str, int] = field(default_factory=dict)  # documents per year
    interpreted: str = ""
    error: str = ""

    def to_dict(self) -> dict:
        """Return the row as JSON-ready data."""
        return {"line": self.line, "label": self.label, "query": self.query, "interpreted": self.interpreted,
                "documents": self.documents, "occurrences": self.occurrences, "years": self.years,
                "error": self.error or None}


def read_queries(text: str) -> list[BatchQuery]:
    """Read a batch file: CSV with a `query` column (and `label`), or one query per line."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    header = [h.strip().lower() for h in next(csv.reader([first]), [])]
    if "query" in header and len(header) > 1:
        return _read_csv(lines, header)
    out = [BatchQuery(n, "", ln.strip()) for n, ln in enumerate(lines, 1)
           if ln.strip() and not ln.lstrip().startswith("#")]
    if len(out) > MAX_QUERIES:
        raise BadQuery(f"A batch holds at most {MAX_QUERIES} queries; this one has {len(out)}")
    return out


def _read_csv(lines: list[str], header: list[str]) -> list[BatchQuery]:
    q, label = header.index("query"), header.index("label") if "label" in header else None
    out, seen_header = [], False
    for n, row in enumerate(csv.reader(lines), 1):
        text = lines[n - 1] if n <= len(lines) else ""
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if not seen_header:
            seen_header = True
            continue
        query = row[q].strip() if q < len(row) else ""
        out.append(BatchQuery(n, row[label].strip() if label is not None and label < len(row) else "", query))
    if len(out) > MAX_QUERIES:
        raise BadQuery(f"A batch holds at most {MAX_QUERIES} queries; this one has {len(out)}")
    return out


def run_batch(archive: Archive, queries: Iterable[BatchQuery], *, filters: str = "",
              occurrences: bool = True) -> Iterator[BatchRow]:
    """Run each query (with the filter clauses in front, if any) and yield its row."""
    for bq in queries:
        row = BatchRow(bq.line, bq.label, bq.query)
        if not bq.query:
            row.error = "empty query"
            yield row
            continue
        query = f"{filters} ({bq.query})" if filters else bq.query
        try:
            result = archive.search(query, limit=0, facets=True)
            row.documents, row.interpreted = result.total, result.interpreted
            row.years = dict(sorted(result.facets.get("year", {}).items()))
            if occurrences and result.total:
                row.occurrences = sum(len(merge_spans(spans)) for _, spans in archive.occurrences(query))
        except ArchiveError as exc:
            row.error = str(exc)
        yield row


def to_csv(rows: list[BatchRow]) -> str:
    """Return the rows as CSV: one column per year found in any row, after the fixed columns."""
    years = sorted({y for r in rows for y in r.years})
    return csv_text(COLUMNS + years, ([r.line, r.label, r.query, r.documents, r.occurrences, r.error]
                                      + [r.years.get(y, 0) for y in years] for r in rows))


def to_json(rows: list[BatchRow]) -> str:
    """Return the rows as a JSON list."""
    return json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=1)
