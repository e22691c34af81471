"""Research pages: concordance (/kwic), collocations (/collocates), batch queries (/batch), citations, saved searches.

Everything here reads. The one POST (/batch) uploads a file of queries for a computation that
changes nothing, with a size limit. Saved searches are created on the command line only; "since
your last visit" is kept in a cookie in the visitor's browser, not on the server, so no request
from another site can change what the archive stores.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote_plus

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from archive.csvout import csv_chunks
from archive.errors import BadQuery
from archive.research import batch as batch_mod
from archive.research import collocates as coll_mod
from archive.research import kwic as kwic_mod
from archive.research.cite import Citation, cite, compare
from archive.research.feed import atom
from archive.research.saved import NAME, SavedSearches, status
from web.facade import get_archive
from web.filters import SearchState

bp = Blueprint("research", __name__)
KWIC_PAGE = 100
KWIC_KEEP = 5000  # occurrences kept for sorting in the browser; the download has them all
MAX_UPLOAD = 256 * 1024
SEEN_COOKIE = "seen"  # saved-search name -> run id of the last visit
RUN_ID = re.compile(r"\d{6}")
HASH = re.compile(r"t?[0-9a-f]{12}")  # t: a hash of the texts; without: an older one, of ordered ids


def _int(name: str, default: int, lo: int, hi: int) -> int:
    try:
        return min(max(lo, int(request.args.get(name, default))), hi)
    except ValueError:
        return default


@bp.route("/kwic")
def kwic() -> str:
    """Show the concordance of the search in the URL: every occurrence, the hits in one column."""
    state = SearchState.from_args(request.args)
    context = _int("context", kwic_mod.CONTEXT_WORDS, 1, 20)
    order = request.args.get("order", "document")
    order = order if order in kwic_mod.ORDERS else "document"
    page = _int("page", 1, 1, KWIC_KEEP // KWIC_PAGE)
    conc, error = None, None
    if state.active:
        totals = kwic_mod.Totals()
        try:
            stream = kwic_mod.occurrences(get_archive(), state.engine_query(), context=context, sort=state.sort,
                                          totals=totals)
            conc = kwic_mod.collect(stream, totals, keep=KWIC_KEEP, order=order)
        except BadQuery as exc:
            error = str(exc)
    lines = conc.lines[(page - 1) * KWIC_PAGE: page * KWIC_PAGE] if conc else []
    pages = -(-len(conc.lines) // KWIC_PAGE) if conc else 0

    def url(**changes: object) -> str:
        params = {**state.params(), "context": context, "order": order, "page": 1, **changes}
        params = {k: v for k, v in params.items() if v not in ("", None) and (k, v) not in
                  (("context", kwic_mod.CONTEXT_WORDS), ("order", "document"), ("page", 1))}
        return "/kwic?" + "&".join(f"{k}={_quote(v)}" for k, v in params.items())

    return render_template("research/kwic.html", state=state, q=state.q, conc=conc, error=error, lines=lines,
                           page=page, pages=pages, order=order, context=context, url=url, first=(page - 1) * KWIC_PAGE)


def _collocation() -> tuple[SearchState, coll_mod.Collocation | None, str | None]:
    """Return the search state, and the collocates of its query and filters (or the error) when there is one."""
    state = SearchState.from_args(request.args)
    if not state.active:
        return state, None, None
    try:
        found = coll_mod.collocates(get_archive(), state.engine_query(),
                                    window=_int("window", coll_mod.WINDOW, 1, coll_mod.MAX_WINDOW),
                                    limit=_int("limit", coll_mod.LIMIT, 1, 500),
                                    keep_stop_words=request.args.get("stop") == "1")
    except BadQuery as exc:
        return state, None, str(exc)
    return state, found, None


@bp.route("/collocates")
def collocates() -> str:
    """Show the words found near the search's matches more often than chance, over every result."""
    state, found, error = _collocation()
    window = found.window if found else coll_mod.WINDOW
    return render_template("research/collocates.html", state=state, q=state.q, found=found, error=error,
                           window=window, windows=(2, 3, 5, 8, 10), json_url=state.url("/collocates.json"),
                           url=lambda **extra: state.url("/collocates") + "&" + "&".join(
                               f"{k}={_quote(v)}" for k, v in extra.items()))


@bp.route("/collocates.json")
def collocates_json() -> ResponseReturnValue:
    """Return the collocates as `archive collocates --json` prints them."""
    state, found, error = _collocation()
    if found is None:
        return Response(json.dumps({"error": error or "Give a query as q=..."}), 400, mimetype="application/json")
    return Response(json.dumps(found.to_dict(), ensure_ascii=False), mimetype="application/json")


def _quote(value: object) -> str:
    return quote_plus(str(value))


@bp.route("/kwic.<fmt>")
def kwic_download(fmt: str) -> Response:
    """Stream every occurrence as CSV or JSON Lines (one document's text in memory at a time)."""
    if fmt not in ("csv", "jsonl"):
        abort(404)
    state = SearchState.from_args(request.args)
    if not state.active:
        abort(404)
    context = _int("context", kwic_mod.CONTEXT_WORDS, 0, kwic_mod.MAX_CONTEXT_WORDS)
    archive = get_archive()
    try:
        archive.tree(state.engine_query())
    except BadQuery as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    stream = kwic_mod.occurrences(archive, state.engine_query(), context=context, sort=state.sort)

    if fmt == "csv":
        body = csv_chunks(kwic_mod.COLUMNS, (occ.to_dict() for occ in stream))
    else:
        body = (json.dumps(occ.to_dict(), ensure_ascii=False) + "\n" for occ in stream)
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=concordance.{fmt}"
    return response


@bp.route("/batch", methods=["GET", "POST"])
def batch() -> ResponseReturnValue:
    """Show the batch form; on POST run the uploaded queries (a read-only computation) and show the table."""
    if request.method == "GET":
        return render_template("research/batch.html", q="", rows=None, error=None, max_kb=MAX_UPLOAD // 1024)
    request.max_content_length = MAX_UPLOAD + 16 * 1024  # the file plus the form's other fields
    upload = request.files.get("file")
    text = upload.read(MAX_UPLOAD + 1).decode("utf-8", "replace") if upload else request.form.get("queries", "")
    if len(text) > MAX_UPLOAD:
        return _batch_error(f"The file is larger than {MAX_UPLOAD // 1024} KB.", 413)
    filters = SearchState.from_args(request.form)
    try:
        rows = list(batch_mod.run_batch(get_archive(), batch_mod.read_queries(text),
                                        filters=" ".join(filters.filter_clauses())))
    except BadQuery as exc:
        return _batch_error(str(exc), 400)
    fmt = request.form.get("format", "html")
    if fmt in ("csv", "json"):
        body = batch_mod.to_csv(rows) if fmt == "csv" else batch_mod.to_json(rows)
        response = Response(body, mimetype="text/csv" if fmt == "csv" else "application/json")
        response.headers["Content-Disposition"] = f"attachment; filename=batch.{fmt}"
        return response
    years = sorted({y for r in rows for y in r.years})
    return render_template("research/batch.html", q="", rows=rows, years=years, error=None, max_kb=MAX_UPLOAD // 1024)


def _batch_error(message: str, code: int) -> tuple[str, int]:
    return render_template("research/batch.html", q="", rows=None, error=message, max_kb=MAX_UPLOAD // 1024), code


@bp.route("/cite")
def cite_page() -> ResponseReturnValue:
    """Permalink of a result set: without run and hash, redirect to the one for now; with them, compare."""
    state = SearchState.from_args(request.args)
    if not state.active:
        return redirect("/search")
    archive = get_archive()
    run, digest = request.args.get("run", ""), request.args.get("h", "")
    try:
        if not (RUN_ID.fullmatch(run) or run == "none") or not HASH.fullmatch(digest):
            now = cite(archive, state.engine_query(), state.sort)
            return redirect(_permalink(state, now.run, now.hash))
        cited = Citation(state.engine_query(), state.sort, "" if run == "none" else run, digest, 0)
        result = compare(archive, cited)
    except BadQuery as exc:
        return render_template("research/cite.html", state=state, q=state.q, error=str(exc), cmp=None), 400
    runs = {r.id: r for r in archive.runs()}
    return render_template("research/cite.html", state=state, q=state.q, error=None, cmp=result, runs=runs,
                           permalink=_permalink(state, run, digest), search_url=state.with_(page=1).url())


def _permalink(state: SearchState, run: str, digest: str) -> str:
    params = {k: v for k, v in state.params().items() if k not in ("page", "timeline")}
    params.update(run=run or "none", h=digest)
    return "/cite?" + "&".join(f"{k}={_quote(v)}" for k, v in params.items())


def _saved_store() -> SavedSearches:
    return SavedSearches(current_app.config["ARCHIVE_SETTINGS"].index, readonly=True)


def _seen() -> dict[str, str]:
    try:
        seen = json.loads(request.cookies.get(SEEN_COOKIE, "{}"))
    except ValueError:
        return {}
    if not isinstance(seen, dict):
        return {}
    return {k: v for k, v in seen.items() if isinstance(v, str) and RUN_ID.fullmatch(v)}


@bp.route("/saved")
def saved_list() -> str:
    """List saved searches: new in the last run, and new since this browser's last visit."""
    archive, seen = get_archive(), _seen()
    with _saved_store() as store:
        states = [status(archive, s, seen.get(s.name)) for s in store.all()]
    return render_template("research/saved.html", q="", states=states, seen=seen)


@bp.route("/saved/<name>")
def saved_one(name: str) -> Response:
    """Show what is new for one saved search, and remember (in a cookie) that it was seen."""
    if not NAME.fullmatch(name):
        abort(404)
    archive, seen = get_archive(), _seen()
    with _saved_store() as store:
        saved = store.get(name)
    if saved is None:
        abort(404)
    st = status(archive, saved, seen.get(name))
    response = Response(render_template("research/saved_one.html", q="", st=st, visited=name in seen,
                                        search_url=SearchState(q=saved.query, sort=saved.sort).url()))
    if st.last_run is not None:
        seen[name] = st.last_run.id
        response.set_cookie(SEEN_COOKIE, json.dumps(seen, separators=(",", ":")), max_age=400 * 86400,
                            httponly=True, samesite="Lax", path="/")
    return response


@bp.route("/feeds/<name>.atom")
def feed(name: str) -> Response:
    """The Atom 1.0 feed of a saved search's new documents."""
    if not NAME.fullmatch(name):
        abort(404)
    archive = get_archive()
    with _saved_store() as store:
        saved = store.get(name)
    if saved is None:
        abort(404)
    body = atom(status(archive, saved), request.url_root.rstrip("/"), archive.runs())
    return Response(body, mimetype="application/atom+xml")
