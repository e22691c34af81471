"""Download every result of a search as CSV or JSON Lines, streamed.

The rows come from the same path as `archive search --format` (`archive.exports.export_rows`,
one ranking of the whole result). Each row has the columns of DESIGN.md §8 (id, title, source,
date, url, path, score, snippet, with the snippet as plain text) and then `query` and
`exported_at`: every row says which search it came from (filters included) and when, so a
file keeps that record even after rows are copied elsewhere, and a spreadsheet reads the first
line as the header (a comment line would break that). The filename carries the time of export too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request, stream_with_context

from archive.errors import BadQuery
from archive.exports import COLUMNS as ROW_COLUMNS
from archive.exports import export_rows, row_chunks
from web.facade import get_archive
from web.filters import SearchState

bp = Blueprint("export", __name__)
COLUMNS = ROW_COLUMNS + ["query", "exported_at"]
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
    now = datetime.now(UTC).replace(microsecond=0)
    record = {"query": state.engine_query(), "exported_at": now.isoformat().replace("+00:00", "Z")}
    try:  # a bad query is a 400 before the download starts
        rows = export_rows(get_archive(), state.q, filters=state.search_filters(), sort=state.sort, extra=record,
                           budget=current_app.config.get("EXPORT_SECONDS", EXPORT_SECONDS), mode=state.mode)
    except BadQuery as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    name = f"archive-{_slug(state.q or 'filtered')}-{now.strftime('%Y%m%dT%H%M%SZ')}.{fmt}"
    return Response(stream_with_context(row_chunks(fmt, COLUMNS, rows)), content_type=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40].strip("-") or "query"
