"""The one CSV writer of the archive: every CSV file it produces goes through here.

Spreadsheets run a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (CSV injection); document titles, snippets and queries are written by strangers, so
such a cell is written with a leading apostrophe, OWASP's rule. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 16 * 1024  # streamed downloads are sent in chunks of about this size, not row by row

Row = dict | Sequence


def safe_cell(value: object) -> object:
    """Return a cell a spreadsheet shows as text: formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class CsvWriter:
    """Write rows (dicts by column name, or sequences) under a header line, every cell made safe."""

    def __init__(self, out: TextIO, columns: Sequence[str]):
        self.columns = list(columns)
        self._writer = csv.writer(out)
        self._writer.writerow(self.columns)

    def write(self, row: Row) -> None:
        """Write one row; a dict's keys are matched to the columns (missing ones are empty)."""
        values = [row.get(c, "") for c in self.columns] if isinstance(row, dict) else list(row)
        self._writer.writerow([safe_cell(v) for v in values])


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Write a header and the rows to a stream; return the number of rows."""
    writer = CsvWriter(out, columns)
    n = 0
    for row in rows:
        writer.write(row)
        n += 1
    return n


def csv_text(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """Return a header and the rows as one CSV string."""
    out = io.StringIO()
    write_csv(out, columns, rows)
    return out.getvalue()


def csv_lines(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    """Yield the header line and then each row as CSV text (a cell with a line break keeps it)."""
    buf = io.StringIO()
    writer = CsvWriter(buf, columns)
    yield _take(buf)
    for row in rows:
        writer.write(row)
        yield _take(buf)


def csv_chunks(columns: Sequence[str], rows: Iterable[Row], chunk: int = CHUNK_CHARS) -> Iterator[str]:
    """Yield a header and the rows as CSV text in chunks, for a streamed download."""
    return chunked(csv_lines(columns, rows), chunk)


def chunked(pieces: Iterable[str], chunk: int = CHUNK_CHARS) -> Iterator[str]:
    """Yield pieces of text joined into chunks of a little over `chunk` characters (the last may be shorter)."""
    parts: list[str] = []
    size = 0
    for piece in pieces:
        parts.append(piece)
        size += len(piece)
        if size > chunk:
            yield "".join(parts)
            parts, size = [], 0
    yield "".join(parts)


def _take(buf: io.StringIO) -> str:
    text = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return text
