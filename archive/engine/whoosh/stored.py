"""A document as a Whoosh index holds it: its indexed and stored fields, and back."""

from __future__ import annotations

import json

from archive.documents import Document, Removed
from archive.engine.common import people, source_key


def to_fields(doc: Document) -> dict:
    """Return the fields a document is indexed and stored with."""
    return {
        "id": doc.id, "collection": doc.collection, "source": source_key(doc.source or doc.collection),
        "source_name": doc.source or doc.collection, "lang": (doc.language or "").lower(), "date": doc.date or "",
        "year": doc.date[:4] if doc.date else "", "month": doc.date[:7] if doc.date else "",
        "content_hash": doc.content_hash, "story": doc.story or doc.content_hash, "title": doc.title, "body": doc.text,
        "title_exact": doc.title, "body_exact": doc.text,
        "title_pairs": doc.title, "body_pairs": doc.text, "path": doc.path, "relpath": doc.relpath,
        "url": doc.url, "text": doc.text,
        "removed": json.dumps([r.__dict__ for r in doc.removed], ensure_ascii=False),
        "date_source": doc.date_source, "size": doc.size, "mtime_ns": doc.mtime_ns,
        "ingested_at": doc.ingested_at, "pipeline": doc.pipeline, "encoding": doc.encoding,
        "file_id": doc.file_id or doc.id, "source_relpath": doc.meta.get("source_relpath", doc.relpath),
        "format": doc.format, "meta": json.dumps(doc.meta, ensure_ascii=False, default=str),
        "sender": people(doc.meta.get("from")), "recipients": people(doc.meta.get("to"), doc.meta.get("cc")),
        "topics": ",".join(doc.meta.get("topics") or []), "places": ",".join(doc.meta.get("places") or []),
        "run_id": doc.run_id,
    }


def to_document(f: dict) -> Document:
    """Return the document of its stored fields."""
    removed = [Removed(**r) for r in json.loads(f.get("removed") or "[]")]
    return Document(
        id=f["id"], collection=f["collection"], path=f["path"], relpath=f["relpath"],
        title=f.get("title", ""), text=f.get("text", ""), source=f.get("source_name", ""),
        date=f.get("date", ""), date_source=f.get("date_source", ""), url=f.get("url", ""),
        language=f.get("lang", ""), content_hash=f.get("content_hash", ""), size=f.get("size", 0),
        mtime_ns=f.get("mtime_ns", 0), removed=removed, encoding=f.get("encoding", ""),
        ingested_at=f.get("ingested_at", ""), pipeline=f.get("pipeline", ""), run_id=f.get("run_id", ""),
        format=f.get("format", ""), file_id=f.get("file_id", f["id"]), meta=json.loads(f.get("meta") or "{}"),
        story=f.get("story", ""),
    )
