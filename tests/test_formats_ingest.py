"""Formats end to end: a mixed folder ingested, searched by words and mail fields, updated incrementally."""

from __future__ import annotations

from pathlib import Path

from fixtures.formats import make

from archive.archive import Archive
from archive.config import Settings
from archive.ingest import ingest


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "mixed"
    src.mkdir()
    make.make_pdf(src / "report.pdf", [["The harbour dredging report counts seven cranes."],
                                       ["Second page: the quarry tender closes in June."]], title="Dredging report")
    notes = b"Attachment notes\n\nThe pelican census is attached here.\n"
    brief = make.make_message("Tender brief", "The quarry tender is attached.", sender="Ana Lima <ana@example.org>",
                              attachments=(("notes.txt", notes, "text/plain"),))
    reply = make.make_message("Re: Tender brief", "Thanks, the zeppelin survey follows.", sender="ben@example.org",
                              to="ana@example.org", reply_to=brief, day=2)
    make.make_mbox(src / "inbox.mbox", [brief, reply])
    make.make_zip(src / "bundle.zip", {"inner/memo.txt": b"Memo\n\nThe walrus budget was approved on Friday.\n"})
    (src / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return src


def test_mixed_folder_is_searchable_by_content_and_mail_fields(tmp_path):
    src = _folder(tmp_path)
    settings = Settings(index=tmp_path / "ix")
    report = ingest([str(src)], settings)
    assert not report.failed, report.summary()
    assert any("unsupported" in p.reason and p.path.endswith("picture.png") for p in report.skipped)
    with Archive(settings) as archive:
        assert archive.search('"quarry tender"').total == 2  # the PDF's second page and the first message
        assert archive.search("pelican").total == 1  # the attachment is a document of its own
        assert archive.search("walrus").hits[0].path.endswith("bundle.zip")
        assert archive.search("from:ana@example.org").total == 1
        assert archive.search("from:ben zeppelin").total == 1
        assert archive.search("format:pdf").total == 1
        pdf = archive.get(archive.search("dredging").hits[0].id)
        assert pdf.format == "pdf" and len(pdf.meta["pages"]) == 2


def test_a_changed_mailbox_replaces_its_messages(tmp_path):
    src = _folder(tmp_path)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    make.make_mbox(src / "inbox2.mbox", [make.make_message("Only", "A lone message about an ibis colony.")])
    (src / "inbox2.mbox").replace(src / "inbox.mbox")
    report = ingest([str(src)], settings)
    assert report.deleted >= 2 and report.added + report.updated >= 1, report.summary()
    with Archive(settings) as archive:
        assert archive.search("zeppelin").total == 0
        assert archive.search("pelican").total == 0
        assert archive.search("ibis").total == 1
    again = ingest([str(src)], settings)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)


def test_document_view_shows_pages_mail_headers_and_attachment_links(tmp_path, make_app):
    src = _folder(tmp_path)
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    client = make_app(settings.index).test_client()
    with Archive(settings) as archive:
        pdf_id = archive.search("dredging").hits[0].id
        mail_id = archive.search('"quarry tender" from:ana').hits[0].id
        note_id = archive.search("pelican").hits[0].id
    pdf = client.get(f"/doc/{pdf_id}", query_string={"q": "quarry"}).get_data(as_text=True)
    assert 'id="page-1"' in pdf and 'id="page-2"' in pdf
    assert pdf.index('id="page-2"') < pdf.index("<mark")  # the hit is on the second page
    mail = client.get(f"/doc/{mail_id}").get_data(as_text=True)
    assert "ana@example.org" in mail and "Tender brief" in mail
    assert f'href="/doc/{note_id}"' in mail  # the attachment is linked from its message
    note = client.get(f"/doc/{note_id}").get_data(as_text=True)
    assert f'href="/doc/{mail_id}"' in note  # and the message from its attachment
    original = client.get(f"/doc/{pdf_id}/original")
    assert original.status_code == 200 and original.headers["Content-Type"] == "application/octet-stream"
    original.close()
