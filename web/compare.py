"""Compared timelines: `/timeline` (a chart and a table of up to four queries) and `/api/timeline`.

Each query is one search under the same facet filters (source, year, language, tag in the URL);
its documents are counted per month, or per year over long ranges, as the search page's
timeline counts them, and the results without a date form an `undated` period, so each series
sums to the total its search reports. `mode=share` divides each period by all documents of the
period under the same filters.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

import web.timeline as timeline
from archive.errors import BadQuery
from web.facade import get_archive
from web.filters import SearchState

bp = Blueprint("compare", __name__)
MAX_QUERY_CHARS = 500


def _queries() -> list[str]:
    return [q.strip()[:MAX_QUERY_CHARS] for q in request.args.getlist("q") if q.strip()]


def _comparison(queries: list[str], state: SearchState, share: bool) -> timeline.Comparison:
    archive = get_archive()
    filters = state.search_filters()
    totals = timeline.period_totals(current_app).of(archive, filters) if share else None
    return timeline.compare(archive, queries, filters, totals)


@bp.route("/api/timeline")
def api_timeline() -> ResponseReturnValue:
    """Return `{"series": [{"query", "total", "points": [{"period", "count"}]}]}` for up to four `q`."""
    queries = _queries()
    if not queries or len(queries) > timeline.MAX_SERIES:
        return jsonify(error=f"Give 1 to {timeline.MAX_SERIES} queries as q=...&q=..."), 400
    share = request.args.get("mode") == "share"
    try:
        chart = _comparison(queries, SearchState.from_args(request.args), share)
    except BadQuery as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(unit=chart.unit, mode="share" if share else "count",
                   series=[s.to_dict(share) for s in chart.series])


@bp.route("/timeline")
def page() -> str:
    """Show the compared timeline of the queries in the URL (a form for up to four), as a chart and a table."""
    state = SearchState.from_args(request.args)
    queries = _queries()[:timeline.MAX_SERIES]
    share = request.args.get("mode") == "share"
    chart, error = None, None
    if queries:
        try:
            chart = _comparison(queries, state, share)
        except BadQuery as exc:
            error = str(exc)
    fields = queries + [""] * (timeline.MAX_SERIES - len(queries))
    params = [("q", q) for q in queries] + list(state.filters.items())
    return render_template("research/timeline.html", state=state, q="", chart=chart, error=error, fields=fields,
                           share=share, params=params, back=state.with_(q=queries[0] if queries else "").url())
