"""Views: `/` and `/search` (results), `/doc/<id>` (a document with its hits), `/api/search` (JSON)."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlencode

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from markupsafe import Markup

from archive.archive import Archive
from archive.errors import ArchiveError, BadQuery, IndexNotFound

bp = Blueprint("search", __name__)
_lock = threading.Lock()
_DOC_ID = re.compile(r"[0-9a-f]{16}")
MAX_PAGE = 10_000


def get_archive() -> Archive:
    """Return the app's long-lived archive, opening it on first use."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    archive = app.extensions.get("archive")
    if archive is None:
        with _lock:
            archive = app.extensions.get("archive")
            if archive is None:
                archive = Archive(app.config["ARCHIVE_SETTINGS"])
                app.extensions["archive"] = archive
    return archive


def _search_args() -> tuple[str, int, str]:
    q = request.args.get("q", "").strip()
    try:
        page = min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
    except ValueError:
        page = 1
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest", "oldest"):
        sort = "relevance"
    return q, page, sort


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """Show the search form (and results when a query is given)."""
    return search()


@bp.route("/search")
def search():  # type: ignore[no-untyped-def]
    """Show one page of results for the query in the URL."""
    q, page, sort = _search_args()
    size = current_app.config["PAGE_SIZE"]
    result, error = None, None
    if q:
        try:
            result = get_archive().search(q, limit=size, offset=(page - 1) * size, sort=sort)
        except BadQuery as exc:
            error = str(exc)
    pages = _pages(result.total, page, size) if result else []
    return render_template("search.html", q=q, page=page, sort=sort, result=result, error=error,
                           pages=pages, url_for_page=lambda p: _url(q=q, sort=sort, page=p),
                           url_for_sort=lambda s: _url(q=q, sort=s), Markup=Markup)


def _url(**params: object) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "", 1, "relevance")}
    return "/search?" + urlencode(clean)


def _pages(total: int, page: int, size: int) -> list[int]:
    last = max(1, -(-total // size))
    window = {1, last, *range(max(1, page - 3), min(last, page + 3) + 1)}
    return sorted(window)


@bp.route("/doc/<doc_id>")
def document(doc_id: str):  # type: ignore[no-untyped-def]
    """Show one cleaned document with every hit of the query marked."""
    if not _DOC_ID.fullmatch(doc_id):
        abort(404)
    archive = get_archive()
    doc = archive.get(doc_id)
    if doc is None:
        abort(404)
    q = request.args.get("q", "").strip()
    title_html, text_html, count = archive.marked(doc, q) if q else (None, None, 0)
    return render_template("doc.html", doc=doc, q=q, title_html=Markup(title_html) if title_html else None,
                           paragraphs=_paragraphs(text_html) if text_html else None, count=count,
                           copies=archive.copies(doc))


def _paragraphs(text_html: str) -> list[Markup]:
    """Split marked-up text into paragraphs (the HTML is already escaped)."""
    return [Markup(p) for p in text_html.split("\n\n")]


@bp.route("/api/search")
def api_search():  # type: ignore[no-untyped-def]
    """Return the same object as `archive search --json`."""
    q = request.args.get("q", "").strip()
    try:
        limit = min(max(0, int(request.args.get("limit", "10"))), 100)
        offset = max(0, int(request.args.get("offset", "0")))
    except ValueError:
        return jsonify(error="limit and offset must be whole numbers"), 400
    sort = request.args.get("sort", "relevance")
    if not q:
        return jsonify(error="the q parameter is required"), 400
    try:
        result = get_archive().search(q, limit=limit, offset=offset, sort=sort)
    except BadQuery as exc:
        return jsonify(error=str(exc), query=q), 400
    return jsonify(result.to_dict())


def register_handlers(app: Flask) -> None:
    """Plain error pages (no paths, no tracebacks) and security headers."""

    @app.errorhandler(404)
    def not_found(_exc):  # type: ignore[no-untyped-def]
        return _error_page(404, "Not found", "There is no such page or document in this archive.")

    @app.errorhandler(IndexNotFound)
    def no_index(_exc):  # type: ignore[no-untyped-def]
        return _error_page(503, "No index yet", "This archive has no index yet. Run `archive ingest` first.")

    @app.errorhandler(ArchiveError)
    def archive_error(_exc):  # type: ignore[no-untyped-def]
        return _error_page(500, "Something went wrong", "The archive could not answer this request.")

    @app.errorhandler(500)
    def server_error(_exc):  # type: ignore[no-untyped-def]
        return _error_page(500, "Something went wrong", "The archive could not answer this request.")

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response


def _error_page(status: int, title: str, message: str):  # type: ignore[no-untyped-def]
    if request.path.startswith("/api/"):
        return jsonify(error=message), status
    return render_template("error.html", title=title, message=message), status
