"""Find the document a URL names by its id, for the pages and the JSON API alike."""

from __future__ import annotations

import re

from flask import abort

from archive.documents import Document
from web.facade import get_archive

DOC_ID = re.compile(r"[0-9a-f]{16}")


def load_document(doc_id: str) -> Document:
    """Return the document with this id, or abort with 404 (ids are hashes, never paths)."""
    if not DOC_ID.fullmatch(doc_id):
        abort(404)
    doc = get_archive().get(doc_id)
    if doc is None:
        abort(404)
    return doc
