"""Pages: `/` and `/search` (results, facets, timeline), `/doc/<id>` (one document), its original file."""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, send_file
from flask.typing import ResponseReturnValue

import web.document as docview
import web.related as related
import web.tagging as tagging
import web.timeline as timeline
from archive.archive import Archive
from archive.documents import Document, SearchResult, document_id
from archive.errors import ArchiveError, BadQuery, IndexNotFound
from archive.highlight import MAX_MARKS
from web.facade import get_archive
from web.filters import FILTERS, SearchState
from web.lookup import load_document
from web.marks import marked

bp = Blueprint("search", __name__)
FACETS = (("source", "Source"), ("year", "Year"), ("lang", "Language"), ("tag", "Tag"))
FACET_SHOWN = 8  # values shown before "more"


@dataclass(frozen=True)
class FacetValue:
    """One clickable facet value: its count, whether it is the active filter, and its link."""

    value: str
    count: int
    selected: bool
    url: str


@bp.route("/")
def index() -> str:
    """Show the search form (and results when a query is given)."""
    return search()


@bp.route("/search")
def search() -> str:
    """Show one page of results for the state in the URL: one search feeds hits, facets and timeline."""
    state = SearchState.from_args(request.args)
    size = current_app.config["PAGE_SIZE"]
    result, error, suggestion, chart = None, None, None, None
    if state.active:
        archive = get_archive()
        try:
            result = archive.search(state.q, filters=state.search_filters(), limit=size,
                                    offset=(state.page - 1) * size, sort=state.sort, mode=state.mode,
                                    count=state.count)
        except BadQuery as exc:
            error = str(exc)
        if result is not None:
            suggestion = _suggestion(state, result)
            chart = _timeline(archive, state, result)
    return render_template(
        "search.html", state=state, q=state.q, result=result, error=error, suggestion=suggestion,
        chart=chart, pages=_pages(result.total, state.page, size) if result else [],
        facets=_facets(state, result) if result else [], chips=state.chips(),
        doc_url=lambda doc_id: doc_url(doc_id, state),
        stories=related.versions(get_archive(), result) if result else {},
    )


def _suggestion(state: SearchState, result: SearchResult) -> SearchState | None:
    """Return the state of the "did you mean" link (the user's words corrected, the filters kept), or None."""
    if not result.suggestion or result.suggestion == state.q:
        return None
    return state.with_(q=result.suggestion)


def _timeline(archive: Archive, state: SearchState, result: SearchResult) -> timeline.Timeline | None:
    """Return the chart of the result's months; in share mode each bar is divided by all documents of its month.

    One per story, the bars count stories, never as a share: all documents of a month are texts.
    """
    stories = state.count == "stories"
    totals = None
    if state.timeline == "share" and result.facets.get("month") and not stories:
        totals = timeline.period_totals(current_app).of(archive, state.search_filters())
    return timeline.build(result.facets, totals, lambda unit, key: state.with_filter(unit, key).url(),
                          "story" if stories else "document")


def _facets(state: SearchState, result: SearchResult) -> list[tuple[str, str, list[FacetValue]]]:
    """Return (name, label, values) for each facet shown beside the results."""
    out = []
    for name, label in FACETS:
        counts = result.facets.get(name) or {}
        items = sorted(counts.items(), reverse=True) if name == "year" else list(counts.items())
        values = [FacetValue(v, n, state.filters.get(name) == v, state.with_filter(name, v).url())
                  for v, n in items if FILTERS[name][1].fullmatch(v)]
        if values:
            out.append((name, label, values))
    return out


def _pages(total: int, page: int, size: int) -> list[int]:
    last = max(1, -(-total // size))
    window = {1, last, *range(max(1, page - 3), min(last, page + 3) + 1)}
    return sorted(window)


@bp.route("/doc/<doc_id>")
def document(doc_id: str) -> str:
    """Show one cleaned document with every hit of the query marked and numbered."""
    doc = load_document(doc_id)
    archive = get_archive()
    state = SearchState.from_args(request.args)
    q = state.q
    show_removed = request.args.get("removed") == "1"
    found = archive.matches(doc, q) if q else None
    spans = found.text_spans if found else []
    blocks, unplaced = docview.render(doc.text, spans, doc.removed, show_removed, pages=doc.meta.get("pages") or [])
    title_html = marked(doc.title, found.title_spans) if found else None
    title_hits = len(found.title_spans) if found else 0
    return render_template(
        "doc.html", doc=doc, q=q, state=state, title_html=title_html or None, blocks=blocks,
        unplaced=unplaced, hits=len(spans), count=len(spans) + title_hits, capped=len(spans) >= MAX_MARKS,
        show_removed=show_removed,
        copies=archive.copies(doc), back_url=state.url() if state.active else None,
        toggle_url=doc_url(doc.id, state, removed=not show_removed), web_url=_web_url(doc.url),
        linked=_linked_parts(doc),
        **related.context(archive, doc), **tagging.context(archive, doc),
    )


def _linked_parts(doc: Document) -> dict[str, list[tuple[str, str]]]:
    """Return the parent message and the attachments of a part, as (document id, label) pairs."""
    source = doc.meta.get("source_relpath")
    if not source:
        return {}
    link = lambda sub: document_id(doc.collection, source + sub)  # noqa: E731
    out: dict[str, list[tuple[str, str]]] = {}
    if doc.meta.get("parent") is not None:
        out["parent"] = [(link(doc.meta["parent"]), doc.meta["parent"] or source)]
    children = doc.meta.get("children") or []
    if children:
        out["children"] = [(link(c), c.rsplit("/", 1)[-1] or c) for c in children]
    return out


def doc_url(doc_id: str, state: SearchState, removed: bool = False) -> str:
    """Return the link to a document that keeps the search state (for marks and the way back)."""
    params = state.params()
    if removed:
        params["removed"] = "1"
    return f"/doc/{doc_id}" + ("?" + urlencode(params) if params else "")


def _web_url(url: str) -> str | None:
    """Return the document's URL when it is a web address (never javascript: or file:)."""
    return url if re.match(r"https?://[^\s]+\Z", url or "", re.IGNORECASE) else None


@bp.route("/doc/<doc_id>/original")
def original(doc_id: str) -> ResponseReturnValue:
    """Serve a document's source file as plain text, found by id only (never by a path in the URL).

    Only the file that was indexed is served: it must be a regular file (not a symlink) at the
    stored path, with the size and modification time recorded at ingest, so a file swapped for a
    link to somewhere else is refused. Plain text with a sandboxing policy, so an HTML source
    cannot run script in the archive's origin.
    """
    doc = load_document(doc_id)
    path = Path(doc.path)
    if not _is_indexed_file(path, doc):
        return _error_page(404, "Original not available",
                           "The original file is no longer where it was indexed from, or it changed since.")
    if doc.format in ("", "text", "html"):
        response = send_file(path, mimetype="text/plain", download_name=path.name, max_age=0)
        response.mimetype_params["charset"] = _charset(doc.encoding)
    else:  # a PDF, an office file, a mailbox or an archive (the whole container of a part): a download
        response = send_file(path, mimetype="application/octet-stream", download_name=path.name,
                             as_attachment=True, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _is_indexed_file(path: Path, doc: Document) -> bool:
    """Return True when path is the regular file that was ingested for this document."""
    rel = Path(doc.meta.get("source_relpath") or doc.relpath)  # a part's file is its container
    if not path.is_absolute() or rel.is_absolute() or ".." in rel.parts or ".." in path.parts:
        return False
    if path.parts[-len(rel.parts):] != rel.parts or path.is_symlink():
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == doc.size and st.st_mtime_ns == doc.mtime_ns


def _charset(encoding: str) -> str:
    """Return a charset name a browser knows, for the source file's detected encoding."""
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,40}", encoding or "") or encoding.lower().startswith("utf-8"):
        return "utf-8"
    return encoding


def register_handlers(app: Flask) -> None:
    """Plain error pages (no paths, no tracebacks) and security headers."""

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> ResponseReturnValue:
        return _error_page(404, "Not found", "There is no such page or document in this archive.")

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> ResponseReturnValue:
        return _error_page(405, "Read-only", "This archive can only be read: use GET.")

    @app.errorhandler(IndexNotFound)
    def no_index(_exc: Exception) -> ResponseReturnValue:
        return _error_page(503, "No index yet", "This archive has no index yet. Run `archive ingest` first.")

    @app.errorhandler(ArchiveError)
    def archive_error(_exc: Exception) -> ResponseReturnValue:
        return _error_page(500, "Something went wrong", "The archive could not answer this request.")

    @app.errorhandler(500)
    def server_error(_exc: Exception) -> ResponseReturnValue:
        return _error_page(500, "Something went wrong", "The archive could not answer this request.")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response


def _error_page(status: int, title: str, message: str) -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return jsonify(error=message), status
    return render_template("error.html", title=title, message=message), status
