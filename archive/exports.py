"""Every result of a search as rows, shared by `archive search --format csv|jsonl` and the web download.

Both read `Archive.export` (one ranking of the whole result, one snippet per text) through
`export_rows`, and write CSV or JSON Lines with the writers here. A row names its document by
its path inside its collection (`relpath`), never by the server's absolute path: an export
leaves the server, and the file system layout behind it should not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from archive.csvout import chunked, csv_chunks, write_csv
from archive.documents import Hit
from archive.query.filters import NO_FILTERS, Filters

if TYPE_CHECKING:
    from archive.archive import Archive

COLUMNS = ["id", "title", "source", "date", "url", "path", "score", "snippet"]


def hit_row(hit: Hit) -> dict:
    """Return the export row of a hit (DESIGN.md §8), its snippet as plain text."""
    return {"id": hit.id, "title": hit.title, "source": hit.source, "date": hit.date, "url": hit.url,
            "path": hit.relpath, "score": hit.score, "snippet": hit.snippets[0].text if hit.snippets else ""}


FORMATS = ("csv", "jsonl")


def export_rows(archive: Archive, query: str, *, filters: Filters = NO_FILTERS, sort: str = "relevance",
                aliases: bool = True, extra: dict | None = None, budget: float | None = None,
                mode: str = "keyword") -> Iterator[dict]:
    """Return the rows of every result of a search (`archive.export`), for the command line and the web.

    Each row is `hit_row` followed by the `extra` columns. The query is read at once, so a
    `BadQuery` is raised here, before any row. With a `budget` (seconds from the first row
    asked for), a result that comes after it is spent is not written: a last row says the
    export is partial, in its title, and after how many rows.
    """
    return _rows(archive.export(query, filters=filters, sort=sort, aliases=aliases, mode=mode), extra or {}, budget)


def _rows(hits: Iterable[Hit], extra: dict, budget: float | None) -> Iterator[dict]:
    deadline = time.monotonic() + budget if budget is not None else float("inf")
    written = 0
    for hit in hits:
        if time.monotonic() > deadline:
            yield partial_row(written, extra)
            return
        yield {**hit_row(hit), **extra}
        written += 1


def partial_row(rows: int, extra: dict) -> dict:
    """Return the row that ends an export cut short by its time budget."""
    return {"id": "", "title": f"(partial: the export stopped after {rows} rows; narrow the query for the rest)",
            "partial": True, **extra}


def json_line(row: dict) -> str:
    """Return a row as one line of JSON Lines (values as they are, non-ASCII kept)."""
    return json.dumps(row, ensure_ascii=False) + "\n"


def write_rows(out: TextIO, fmt: str, columns: Sequence[str], rows: Iterable[dict]) -> int:
    """Write rows to a stream as CSV (under a header line) or JSON Lines; return the number of rows."""
    if fmt == "csv":
        return write_csv(out, columns, rows)
    written = 0
    for row in rows:
        out.write(json_line(row))
        written += 1
    return written


def row_chunks(fmt: str, columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """Yield rows as CSV (header first) or JSON Lines text in chunks of about `CHUNK_CHARS`, for a download."""
    if fmt == "csv":
        return csv_chunks(columns, rows)
    return chunked(json_line(row) for row in rows)
