"""Format readers: detection by content, PDF, Word, OpenDocument, EPUB and Reuters SGML (fixtures generated here)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from fixtures.formats import make
from needs import REUTERS_TARBALL, shared_file, tool

from archive.formats import HEAD_BYTES, Limits, Part, detect, read_parts


def parts_of(path: Path, **kwargs) -> list[Part]:
    """Detect and read one file, as the integration will."""
    data = path.read_bytes()
    return list(read_parts(path, data, detect(path, data[:HEAD_BYTES], data), **kwargs))


def only(parts: list[Part]) -> Part:
    """Return the one part of a single-document file, failing on its error."""
    assert len(parts) == 1, parts
    assert parts[0].error is None, parts[0].error
    return parts[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """One generated file of each kind, named with misleading or missing extensions where it matters."""
    d = tmp_path_factory.mktemp("formats")
    pages = [[make.paragraph(p * 3 + i) for i in range(3)] for p in range(4)]
    out = {
        "pdf": make.make_pdf(d / "report.pdf", pages, title="Oil report", author="Ana Lima",
                             header="Oil Bulletin March 2024", footer=True, hyphenate="shipments"),
        "pdf-as-txt": make.make_pdf(d / "report-renamed.txt", pages[:1]),
        "docx": make.make_docx(d / "note.docx"),
        "docx-as-zip": make.make_docx(d / "note-renamed.zip"),
        "odt": make.make_odt(d / "note.odt"),
        "epub": make.make_epub(d / "book.epub", [("Chapter One", "It began at the harbour."),
                                                 ("Chapter Two", "It ended in February."),
                                                 ("Chapter Three", "Analysts were not surprised.")]),
        "zip": make.make_zip(d / "plain.zip", {"a.txt": b"hello"}),
        "tar": make.make_tar(d / "plain.tar", {"a.txt": b"hello"}),
        "tgz": make.make_tar(d / "plain.tar.gz", {"a.txt": b"hello"}, gz=True),
        "gz": make.make_gz(d / "note.txt.gz", b"hello"),
        "sgm": d / "reut2-999.sgm",
        "html": d / "page",
        "text": d / "notes.txt",
        "png": d / "picture.dat",
    }
    out["sgm"].write_bytes(make.reuters_bytes())
    out["html"].write_bytes(b"<!doctype html><html><body><p>Hi</p></body></html>")
    out["text"].write_text("Just some notes.\n")
    out["png"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return out


@pytest.mark.parametrize("name, kind", [
    ("pdf", "pdf"), ("pdf-as-txt", "pdf"), ("docx", "docx"), ("docx-as-zip", "docx"), ("odt", "odt"),
    ("epub", "epub"), ("zip", "zip"), ("tar", "tar"), ("tgz", "tar"), ("gz", "gzip"),
    ("sgm", "reuters-sgml"), ("html", "html"), ("text", "text"), ("png", "unsupported:image/png"),
])
def test_detect_by_content(files, name, kind):
    data = files[name].read_bytes()
    assert detect(files[name], data[:HEAD_BYTES], data) == kind


@pytest.mark.parametrize("head, kind", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "unsupported:application/msword"),
    (b"{\\rtf1\\ansi Hello}", "unsupported:application/rtf"),
    (b"\xff\xd8\xff\xe0" + bytes(100), "unsupported:image/jpeg"),
    (b"\x7fELF\x02\x01\x01" + bytes(200), "unsupported:ELF executable"),
])
def test_detect_names_types_we_do_not_read(head, kind):
    assert detect(Path("file"), head) == kind


def test_detect_mail_without_extension(tmp_path):
    eml = tmp_path / "message"
    eml.write_bytes(bytes(make.make_message("Hello", "Body")))
    box = make.make_mbox(tmp_path / "inbox", [make.make_message("Hello", "Body")])
    assert detect(eml, eml.read_bytes()) == "eml"
    assert detect(box, box.read_bytes()) == "mbox"


def test_unsupported_type_is_a_reason_not_an_exception(files):
    (part,) = parts_of(files["png"])
    assert part.error == "unsupported: image/png"


def test_pdf_text_pages_and_metadata(files):
    part = only(parts_of(files["pdf"]))
    assert part.title == "Oil report"
    assert part.meta["author"] == "Ana Lima"
    assert part.meta["date"][:4].isdigit()
    pages = part.meta["pages"]
    assert len(pages) == 4 and pages[0] == 0
    assert part.text[pages[1]:].startswith(make.paragraph(3)[:40])
    assert part.text.count("\n\n") >= 11  # 12 paragraphs, each found from the line gaps


def test_pdf_hyphenation_joined(files):
    part = only(parts_of(files["pdf"]))
    assert "ship-" not in part.text and "\x02" not in part.text
    assert part.text.count("shipments") == sum(p.count("shipments") for page in range(4)
                                               for p in [make.paragraph(page * 3 + i) for i in range(3)])


def test_pdf_running_heads_and_page_numbers_removed(files):
    part = only(parts_of(files["pdf"]))
    assert "Oil Bulletin" not in part.text and "Page 2" not in part.text
    reasons = {r.reason for r in part.removed}
    assert "running header repeated on 4 of 4 pages" in reasons
    assert "page number repeated on 4 of 4 pages" in reasons
    assert [r.text for r in part.removed if r.reason.startswith("page number")] == [f"Page {n}" for n in range(1, 5)]


def test_pdf_korean_text_layer(tmp_path):
    pdf = make.make_korean_pdf(tmp_path / "ko.pdf", ["혜산시 광산에서 폭발 사고가", "발생했다."])
    assert only(parts_of(pdf)).text == "혜산시 광산에서 폭발 사고가 발생했다."


def test_pdf_password_protected(tmp_path):
    pdf = make.make_pdf(tmp_path / "locked.pdf", [["Secret minutes."]], password="s3cret")
    (part,) = parts_of(pdf)
    assert part.error == "password-protected PDF"


def test_pdf_without_text_layer(tmp_path):
    pdf = make.make_image_pdf(tmp_path / "scan.pdf", "Harbour strike ends")
    (part,) = parts_of(pdf)
    assert part.error.startswith("no text layer (scanned?)")


def test_pdf_ocr_reads_a_scan(tmp_path):
    tool("tesseract", "tesseract-ocr tesseract-ocr-eng")
    pdf = make.make_image_pdf(tmp_path / "scan.pdf", "Harbour strike ends")
    part = only(parts_of(pdf, ocr="eng"))
    assert "Harbour strike ends" in part.text
    assert (part.meta["ocr"], part.meta["ocr_pages"]) == ("eng", [0])


def test_pdf_ocr_only_where_a_page_has_no_text(tmp_path):
    tool("tesseract", "tesseract-ocr tesseract-ocr-eng")
    pdf = make.make_image_pdf(tmp_path / "mixed.pdf", "Scanned appendix", before="Digital summary.")
    (plain,) = parts_of(pdf)
    assert plain.text == "Digital summary." and plain.meta["pages_without_text"] == [1]
    part = only(parts_of(pdf, ocr="eng"))
    assert part.meta["ocr_pages"] == [1]
    assert part.text.startswith("Digital summary.\n\nScanned appendix")
    assert part.text[part.meta["pages"][1]:].startswith("Scanned appendix")


def test_pdf_ocr_reads_korean(tmp_path):
    languages = subprocess.run([tool("tesseract", "tesseract-ocr"), "--list-langs"], capture_output=True, text=True,
                               check=False).stdout.split()
    assert "kor" in languages, "Korean OCR needs tesseract-ocr-kor (`make test` installs it)"
    assert Path(make.KOREAN_FONT).exists(), "the Korean test page is drawn with fonts-nanum (`make test` installs it)"
    pdf = make.make_image_pdf(tmp_path / "scan-ko.pdf", "혜산 광산 폭발 사고", font=make.KOREAN_FONT)
    part = only(parts_of(pdf, ocr="kor"))
    assert part.text == "혜산 광산 폭발 사고"


def test_ocr_with_missing_language_data_is_an_error(tmp_path):
    pdf = make.make_image_pdf(tmp_path / "scan.pdf", "Harbour strike ends")
    (part,) = parts_of(pdf, ocr="xx-no-such-language")
    assert part.error.startswith("no text layer, and OCR is unavailable")


def test_docx_reading_order_and_properties(files):
    part = only(parts_of(files["docx"]))
    assert part.text.split("\n\n") == ["Harbour strike ends", "Exporters expect shipments to recover.",
                                       "Port | Tonnes\nSantos | 1200", "Analysts called the outlook uncertain."]
    assert (part.title, part.meta["author"], part.meta["date"]) == ("Quarterly note", "Ana Lima", "2024-03-05")
    assert part.meta["headings"] == ["Harbour strike ends"]


def test_odt_reading_order_and_properties(files):
    part = only(parts_of(files["odt"]))
    assert part.text.split("\n\n") == ["Harbour strike ends", "Exporters expect shipments to recover.",
                                       "Port | Tonnes\nSantos | 1200", "First point",
                                       "Analysts called the outlook uncertain."]
    assert (part.title, part.meta["author"], part.meta["date"]) == ("Quarterly note", "Ana Lima", "2024-03-05")


def test_epub_chapters_in_spine_order(files):
    part = only(parts_of(files["epub"]))
    assert part.title == "A Book" and part.meta["author"] == "Jo Writer"
    assert part.meta["chapter_titles"] == ["Chapter One", "Chapter Two", "Chapter Three"]
    starts = part.meta["chapters"]
    assert part.text[starts[1]:].startswith("Chapter Two\n\nIt ended in February.")


def test_reuters_elements_dates_and_categories(files):
    parts = parts_of(files["sgm"])
    assert [p.subpath for p in parts] == ["#1", "#2", "#4", "#3"]
    first, brief, unproc, empty = parts
    assert first.title == "BAHIA COCOA REVIEW"
    assert first.meta["datetime"] == "1987-02-26T15:01:01"
    assert (first.meta["topics"], first.meta["places"]) == (["cocoa"], ["el-salvador", "usa"])
    assert first.meta["dateline"] == "SALVADOR, Feb 26"
    assert "<throughout>" in first.text and "M&A" in first.text and "Müller" in first.text
    assert "Reuter" not in first.text and first.removed[0].reason == "news-wire sign-off"
    assert brief.title == "STANDARD OIL SETS DIVIDEND" and brief.meta["date"] == "1987-03-02"
    assert unproc.title == "FEDERAL RESERVE WEEKLY REPORT 1 - FEB 26"
    assert unproc.text.split("\n\n")[1:] == ["Two weeks ended Feb 25 daily avgs-mlns",
                                              "Net free reserves.............644 vs.....1,337"]
    assert empty.skipped.startswith("no title and no body")


def test_reuters_real_file_gives_one_part_per_element():
    with tarfile.open(shared_file(REUTERS_TARBALL)) as tar:
        handle = tar.extractfile("reuters21578/reut2-000.sgm")
        data = handle.read()
    parts = list(read_parts(Path("reut2-000.sgm"), data, "reuters-sgml"))
    assert len(parts) == data.count(b"<REUTERS ") == 1000
    assert not [p for p in parts if p.error]
    assert len({p.subpath for p in parts}) == 1000


CORRUPT = {
    "pdf": b"%PDF-1.4\n1 0 obj <<>> garbage",
    "docx": b"PK\x03\x04" + b"\x00" * 40,
    "odt": b"PK\x03\x04not really",
    "epub": b"PK\x05\x06" + bytes(18),
    "zip": b"PK\x03\x04\x14\x00" + bytes(30),
    "tar": b"\x1f\x8b\x08\x00" + b"broken stream",
    "gzip": b"\x1f\x8b\x08\x00" + b"broken stream",
    "eml": b"\x00\x01\x02 no headers at all",
    "mbox": b"not a mailbox\n",
    "reuters-sgml": b"<!DOCTYPE lewis SYSTEM 'lewis.dtd'>\n<REUTERS NEWID='1'> cut off",
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_corrupt_file_gives_an_error_part(kind):
    parts = list(read_parts(Path(f"broken.{kind}"), CORRUPT[kind], kind))
    assert parts and all(p.error for p in parts), parts


def test_truncated_pdf_is_an_error(files):
    data = files["pdf"].read_bytes()[:1500]
    (part,) = read_parts(Path("cut.pdf"), data, "pdf")
    assert part.error and part.error.startswith("corrupt PDF")


def test_file_over_the_size_limit_is_refused(files):
    (part,) = read_parts(files["pdf"], None, "pdf", limits=Limits(max_file_bytes=100))
    assert part.error.startswith("too large")
