"""Download every result of a search as CSV or JSON Lines, streamed page by page.

Each row has the columns of DESIGN.md §8 (id, title, source, date, url, path, score, snippet,
with the snippet as plain text) and then `query` and `exported_at`: every row says which search
it came from and when, so a file keeps that record even after rows are copied elsewhere, and a
spreadsheet reads the first line as the header (a comment line would break that). The filename
carries the time of export too.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request, stream_with_context

from archive.archive import Archive
from archive.csvout import csv_chunks
from archive.engine.common import TIME_BUDGET
from archive.errors import BadQuery
from archive.exports import COLUMNS as ROW_COLUMNS
from archive.exports import hit_row
from web.facade import get_archive
from web.filters import SearchState

bp = Blueprint("export", __name__)
COLUMNS = ROW_COLUMNS + ["query", "exported_at"]
PAGE = 500
EXPORT_SECONDS = 120.0  # a download stops after this long and ends with a row saying it is partial
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


@bp.route("/export.<fmt>")
def export(fmt: str) -> Response:
    """Stream all results of the search in the URL (not only one page) as CSV or JSON Lines."""
    if fmt not in FORMATS:
        abort(404)
    state = SearchState.from_args(request.args)
    if not state.active:
        abort(404)
    archive = get_archive()
    query = state.engine_query()
    try:
        archive.search(query, limit=0, facets=False)  # a bad query is a 400 before the download starts
    except BadQuery as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    now = datetime.now(UTC).replace(microsecond=0)
    page = current_app.config.get("EXPORT_PAGE", PAGE)
    budget = current_app.config.get("EXPORT_SECONDS", EXPORT_SECONDS)
    rows = _rows(archive, query, state.sort, now.isoformat().replace("+00:00", "Z"), page, budget)
    body = csv_chunks(COLUMNS, rows) if fmt == "csv" else (json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    name = f"archive-{_slug(state.q or 'filtered')}-{now.strftime('%Y%m%dT%H%M%SZ')}.{fmt}"
    return Response(stream_with_context(body), content_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _rows(archive: Archive, query: str, sort: str, exported_at: str, page: int, budget: float) -> Iterator[dict]:
    """Yield one dict per result, paging through the archive in bounded memory.

    After `budget` seconds (or a page that ran out of time) the last row says the export is
    partial, in the title column, and how many rows came before it.
    """
    offset = 0
    deadline = time.monotonic() + budget
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            yield partial_row(offset, query, exported_at)
            return
        result = archive.search(query, limit=page, offset=offset, sort=sort, facets=False, snippets=1,
                                time_budget=min(left, TIME_BUDGET))
        for hit in result.hits:
            yield {**hit_row(hit), "query": query, "exported_at": exported_at}
        if result.partial and any("time" in m for m in result.messages):
            yield partial_row(offset + len(result.hits), query, exported_at)
            return
        offset += page
        if offset >= result.total or not result.hits:
            return


def partial_row(rows: int, query: str, exported_at: str) -> dict:
    """Return the row that ends an export cut short by its time budget."""
    return {"id": "", "title": f"(partial: the export stopped after {rows} rows; narrow the query for the rest)",
            "partial": True, "query": query, "exported_at": exported_at}


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40].strip("-") or "query"
