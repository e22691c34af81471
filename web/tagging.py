"""Tags and notes in the document view: forms that add and remove them, for a logged-in user.

Marking changes what the archive stores, so it needs the server's login (`auth_user`; without
one the panel shows the marks and says how to enable marking) and each mark records the user's
name. Every form carries a token kept in the visitor's signed session cookie, and a POST whose
token does not match, or that a browser says came from another site, is refused with 403: a
page elsewhere cannot make a logged-in browser tag or note anything.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from flask import Blueprint, abort, current_app, redirect, request, session
from flask.typing import ResponseReturnValue

from archive.archive import Archive
from archive.documents import Document
from archive.errors import BadQuery
from archive.marks.store import MarkStore
from web.facade import get_archive
from web.lookup import load_document

bp = Blueprint("tagging", __name__)
TOKEN = "csrf"


def login_user() -> str:
    """Return the name of the logged-in user ("" when the server has no login)."""
    settings = current_app.config["ARCHIVE_SETTINGS"]
    return str(settings.auth_user or "") if settings.auth_hash else ""


def csrf_token() -> str:
    """Return this browser's form token (made and kept in its session cookie on first use)."""
    token = session.get(TOKEN)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[TOKEN] = token
    return token


def context(archive: Archive, doc: Document) -> dict:
    """Return what the document view shows of a document's marks, and the form token when marking is allowed."""
    with archive.marks() as marks:
        tags, notes = marks.tags_of(doc.id), marks.notes_of(doc.id)
    user = login_user()
    return {"tags": tags, "notes": notes, "mark_user": user, "csrf": csrf_token() if user else ""}


def _checked() -> str:
    """Return the user of a marking POST; abort 403 without a login, from another site, or with a wrong token."""
    user = login_user()
    if not user:
        abort(403, "Marking documents needs the server's login (auth_user and auth_hash).")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403)
    expected, given = session.get(TOKEN), request.form.get(TOKEN, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(403)
    return user


def _write(doc_id: str, change: Callable[[MarkStore, Document, str], object]) -> ResponseReturnValue:
    """Check the POST, apply one change to the document's marks as its user, and go back to the document."""
    user = _checked()
    doc = load_document(doc_id)
    try:
        with get_archive().marks(readonly=False) as marks:
            change(marks, doc, user)
    except BadQuery as exc:
        abort(400, str(exc))
    return redirect(f"/doc/{doc.id}#marks", code=303)


@bp.post("/doc/<doc_id>/tags")
def add_tag(doc_id: str) -> ResponseReturnValue:
    """Tag a document with the name in the form."""
    return _write(doc_id, lambda marks, doc, user: marks.add_tag(doc, request.form.get("tag", ""), user))


@bp.post("/doc/<doc_id>/tags/remove")
def remove_tag(doc_id: str) -> ResponseReturnValue:
    """Remove the tag named in the form from a document."""
    return _write(doc_id, lambda marks, doc, _user: marks.remove_tag(doc.id, request.form.get("tag", "")))


@bp.post("/doc/<doc_id>/notes")
def add_note(doc_id: str) -> ResponseReturnValue:
    """Add the note in the form to a document."""
    return _write(doc_id, lambda marks, doc, user: marks.add_note(doc, request.form.get("text", ""), user))


@bp.post("/doc/<doc_id>/notes/<int:note_id>/remove")
def remove_note(doc_id: str, note_id: int) -> ResponseReturnValue:
    """Remove one of a document's notes."""
    return _write(doc_id, lambda marks, doc, _user: marks.remove_note(note_id, doc.id))
