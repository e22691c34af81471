"""E-mail readers: one part per message, fields, quotes and signatures removed, attachments, threads."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.formats import make

from archive.formats import HEAD_BYTES, Part, detect, read_parts
from archive.formats.mailtext import split_body


def parts_of(path: Path) -> list[Part]:
    data = path.read_bytes()
    return list(read_parts(path, data, detect(path, data[:HEAD_BYTES], data)))


@pytest.fixture(scope="module")
def thread(tmp_path_factory):
    """A three-message thread: the first has a PDF, a text file and a picture attached."""
    d = tmp_path_factory.mktemp("mail")
    pdf = make.make_pdf(d / "brief.pdf", [["The brief says exports recover."]], title="Brief").read_bytes()
    first = make.make_message(
        "Budget", "Here is the plan for May.\n\n-- \nAna Lima\nExample Org", cc="cy@example.org",
        attachments=(("brief.pdf", pdf, "application/pdf"), ("notes.txt", b"Port notes", "text/plain"),
                     ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(40), "image/png")))
    second = make.make_message(
        "Re: Budget", "Looks good to me.\n\nOn Wed, 1 May 2024 at 10:00, Ana Lima <ana@example.org>\nwrote:\n"
        "> Here is the plan for May.\n>\n> -- \n> Ana Lima\n", reply_to=first,
        sender="Ben Ode <ben@example.org>", to="ana@example.org", day=2)
    third = make.make_message("Re: Budget", "Agreed.", reply_to=second, day=3)
    third.replace_header("References", "")  # some clients send only In-Reply-To
    del third["References"]
    return d, [first, second, third]


def test_eml_fields(thread):
    d, (first, second, _) = thread
    eml = d / "reply.eml"
    eml.write_bytes(bytes(second))
    (part,) = parts_of(eml)
    assert part.subpath == "" and part.title == "Re: Budget"
    assert part.meta["from"] == ["Ben Ode <ben@example.org>"] and part.meta["to"] == ["ana@example.org"]
    assert part.meta["date"] == "2024-05-02"
    assert part.meta["message_id"] == second["Message-ID"].strip("<>")
    assert part.meta["in_reply_to"] == first["Message-ID"].strip("<>")
    assert part.meta["thread_id"] == first["Message-ID"].strip("<>")


def test_eml_quoted_reply_removed_with_reason(thread):
    d, (_, second, _) = thread
    eml = d / "reply.eml"
    eml.write_bytes(bytes(second))
    (part,) = parts_of(eml)
    assert part.text == "Looks good to me."
    (quote,) = part.removed
    assert quote.reason == "quoted reply"
    assert quote.text.startswith("On Wed, 1 May 2024") and quote.text.endswith("> Ana Lima")


def test_signature_removed_with_reason():
    text, removed = split_body("Thanks, see below.\n\n-- \nAna Lima\n+1 555 0100\n")
    assert text == "Thanks, see below."
    assert [(r.reason, r.text) for r in removed] == [("e-mail signature", "-- \nAna Lima\n+1 555 0100")]


def test_outlook_original_message_removed():
    text, removed = split_body("Fine by me.\n\n-----Original Message-----\nFrom: Ana\nSubject: Budget\n\nPlan\n")
    assert text == "Fine by me."
    assert removed[0].reason == "quoted original message"


def test_mbox_one_part_per_message_with_attachments_linked(thread):
    d, messages = thread
    box = make.make_mbox(d / "inbox.mbox", messages)
    parts = parts_of(box)
    ids = [m["Message-ID"].strip("<>") for m in messages]
    by_path = {p.subpath: p for p in parts}
    assert [p.subpath for p in parts if p.format == "mbox"] == [f"#{i}" for i in ids]
    first = by_path[f"#{ids[0]}"]
    assert first.meta["cc"] == ["cy@example.org"]
    assert first.meta["children"] == [f"#{ids[0]}!/brief.pdf", f"#{ids[0]}!/notes.txt"]
    assert [a["name"] for a in first.meta["attachments"]] == ["brief.pdf", "notes.txt", "logo.png"]
    assert first.meta["attachments"][2]["unsupported"] == "unsupported: image/png"
    brief = by_path[f"#{ids[0]}!/brief.pdf"]
    assert brief.format == "pdf" and brief.title == "Brief" and brief.meta["parent"] == f"#{ids[0]}"
    assert "exports recover" in brief.text
    assert by_path[f"#{ids[0]}!/notes.txt"].raw.strip() == "Port notes"
    assert not [p for p in parts if p.error]


def test_mbox_threads_by_references_and_in_reply_to(thread):
    d, messages = thread
    box = make.make_mbox(d / "threads.mbox", messages)
    root = messages[0]["Message-ID"].strip("<>")
    threads = [p.meta["thread_id"] for p in parts_of(box) if p.format == "mbox"]
    assert threads == [root, root, root]  # the third has only In-Reply-To: walked up through the second


def test_attached_message_is_read_as_a_message(tmp_path):
    inner = make.make_message("Inner", "The forwarded words.")
    outer = make.make_message("Fwd: Inner", "See the attached message.")
    outer.add_attachment(inner, filename="inner.eml")
    eml = tmp_path / "fwd.eml"
    eml.write_bytes(bytes(outer))
    parts = parts_of(eml)
    assert [p.subpath for p in parts] == ["", "!/inner.eml"]
    assert parts[1].title == "Inner" and parts[1].text == "The forwarded words."
    assert parts[1].meta["parent"] == "" and parts[0].meta["children"] == ["!/inner.eml"]


def test_mbox_from_lines_in_bodies_are_unescaped(tmp_path):
    box = tmp_path / "rd.mbox"
    box.write_bytes(b"From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: one\n\n"
                    b"Line\n>From here on\nFrom there too\n\nFrom b@example.org Mon Jan  1 00:00:00 2024\n"
                    b"From: b@example.org\nSubject: two\n\nSecond\n")
    parts = parts_of(box)
    assert [p.title for p in parts] == ["one", "two"]
    assert [p.subpath for p in parts] == ["#1", "#2"]  # no Message-ID: numbered in mailbox order
    assert parts[0].text == "Line From here on From there too"


def test_links_stay_consistent_inside_an_archive(tmp_path):
    msg = make.make_message("Minutes", "Attached.", attachments=(("minutes.txt", b"Minutes text", "text/plain"),))
    z = make.make_zip(tmp_path / "mail.zip", {"2024/minutes.eml": bytes(msg)})
    parts = parts_of(z)
    by_path = {p.subpath: p for p in parts}
    message, attachment = by_path["!/2024/minutes.eml"], by_path["!/2024/minutes.eml!/minutes.txt"]
    assert message.meta["children"] == [attachment.subpath]
    assert message.meta["attachments"][0]["subpath"] == attachment.subpath
    assert attachment.meta["parent"] == message.subpath


def test_encoded_headers_html_body_and_unknown_charset(tmp_path):
    eml = tmp_path / "encoded.eml"
    eml.write_bytes(
        b"From: =?utf-8?q?Lima=2C_Ana?= <ana@example.org>\nTo: ben@example.org\n"
        b"Subject: =?utf-8?b?7Zic7IKwIOuJtOyKpA==?=\nMessage-ID: <h1@example.org>\n"
        b"MIME-Version: 1.0\nContent-Type: text/html; charset=x-unknown\n\n"
        b"<html><body><p>Caf\xe9 opens.</p><blockquote><p>Old words</p></blockquote></body></html>\n")
    (part,) = parts_of(eml)
    assert part.meta["from"] == ["Lima, Ana <ana@example.org>"]
    assert part.title == "\ud61c\uc0b0 \ub274\uc2a4"
    assert part.text == "Caf\xe9 opens." and part.meta["html_body"] is True
    assert [r.reason for r in part.removed] == ["quoted reply"]
