"""The JSON API: `/api/search` (the object of `archive search --json`), `/api/doc/<id>`, and its OpenAPI file."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from archive.errors import BadQuery
from archive.render import html
from archive.research.cite import with_citation
from web.facade import get_archive
from web.filters import GROUPS, SEARCH_MODES, SearchState
from web.lookup import load_document

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_API_LIMIT = 100


@bp.route("/search")
def search() -> ResponseReturnValue:
    """Return the same object as `archive search --json`; facet filters may be given as parameters.

    `query`, `interpreted` and `suggestion` are about `q` alone; the filters restrict the results.
    `mode=meaning` ranks by closeness in meaning, `mode=hybrid` fuses both rankings (no citation then).
    `group=stories` lists one hit per story and counts stories in the total and facets.
    """
    state = SearchState.from_args(request.args)
    try:
        limit = min(max(0, int(request.args.get("limit", "10"))), MAX_API_LIMIT)
        offset = max(0, int(request.args.get("offset", "0")))
    except ValueError:
        return jsonify(error="limit and offset must be whole numbers"), 400
    if not state.active:
        return jsonify(error="the q parameter is required"), 400
    sort = request.args.get("sort", "relevance")
    archive = get_archive()
    if request.args.get("mode", "keyword") not in SEARCH_MODES:
        return jsonify(error=f"mode must be one of {', '.join(SEARCH_MODES)}", query=state.q), 400
    if request.args.get("group", "") not in ("", *GROUPS):
        return jsonify(error=f"group must be {' or '.join(GROUPS)}, or left out", query=state.q), 400
    try:
        result = archive.search(state.q, filters=state.search_filters(), limit=limit, offset=offset, sort=sort,
                                cite=state.mode == "keyword", mode=state.mode, count=state.count)
    except BadQuery as exc:
        return jsonify(error=str(exc), query=state.q), 400
    if state.mode != "keyword":  # a ranking by meaning is no set of matches a hash could cite
        return jsonify(result.to_dict())
    # run, result_hash: the citation, from the digest the search took of the texts it counted
    # (counted again, filters included, when the search could not take it).
    digest = result.texts_digest or archive.texts_digest(state.engine_query())[0]
    return jsonify(with_citation(archive, result.to_dict(), sort, digest=digest))


@bp.route("/doc/<doc_id>")
def document(doc_id: str) -> Response:
    """Return one stored document; with `q`, also its text with the query's matches marked."""
    doc = load_document(doc_id)
    archive = get_archive()
    out = doc.to_dict()
    out["copies"] = archive.copies(doc)
    q = request.args.get("q", "").strip()
    if q:
        found = archive.matches(doc, q)
        out["marked"] = {"query": q, "title_html": html(doc.title, found.title_spans),
                         "text_html": html(doc.text, found.text_spans), "count": found.count}
    return jsonify(out)


@bp.route("/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI description of this API."""
    spec = Path(current_app.static_folder or "", "openapi.json").read_bytes()  # small: read, not streamed
    return Response(spec, mimetype="application/json")
