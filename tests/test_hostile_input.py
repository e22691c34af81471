"""Heavy and odd input: each file is indexed within bounds or rejected with a reason; the batch goes on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.archive import Archive
from archive.config import Settings
from archive.ingest import ingest

GOOD = "Harbour talks resume\n\nThe union and the port authority met on Monday to resume talks on pay.\n"


def _ingest(src: Path, tmp_path: Path, **settings):
    index = tmp_path / "index"
    report = ingest([str(src)], Settings(index=index, **settings))
    return report, index


def _problems(report) -> dict[str, str]:
    return {Path(p.path).name: p.reason for p in report.failed + report.skipped}


@pytest.fixture
def src(tmp_path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    return folder


def test_file_over_the_size_cap_is_rejected_without_reading_it(src, tmp_path):
    big = src / "huge.txt"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024 + 1)  # sparse: 50 MB of zeros that are never read
    report, _ = _ingest(src, tmp_path, max_file_mb=20)
    assert "too large" in _problems(report)["huge.txt"]
    assert report.added == 1


def test_one_five_megabyte_line_is_indexed(src, tmp_path):
    words = ("harbour cargo " * 350_000)[: 5 * 1024 * 1024]
    (src / "oneline.txt").write_text("Long line\n\n" + words + " zebrafinch.\n")
    report, index = _ingest(src, tmp_path)
    assert report.added == 2 and not report.failed
    with Archive(Settings(index=index)) as archive:
        assert archive.search("zebrafinch").total == 1


def test_page_of_a_hundred_thousand_lines_is_indexed(src, tmp_path):
    # Many short lines: what is under test is the number of lines, not the volume of words.
    rows = "\n".join(f"<p>Row {i}.</p>" for i in range(100_000))
    (src / "long.html").write_text(f"<html><body><article><h1>Dredging</h1>{rows}</article></body></html>")
    report, _ = _ingest(src, tmp_path)
    assert not report.failed, report.summary()
    assert report.added == 2


def test_deeply_nested_html_is_indexed_or_rejected_with_a_reason(src, tmp_path):
    depth = 20_000
    (src / "nested.html").write_text("<html><body>" + "<div>" * depth + "<p>Deep harbour text.</p>" + "</div>" * depth
                                     + "</body></html>")
    report, _ = _ingest(src, tmp_path)
    problems = _problems(report)
    assert report.added + len(report.failed) == 2
    if "nested.html" in problems:
        assert problems["nested.html"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b" \n\n \t\n", "empty"),
        ("binary.txt", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "binary"),
        ("nul.html", b"<html>\x00\x00\x00</html>", "binary"),
    ],
)
def test_bad_file_is_reported_and_the_batch_goes_on(src, tmp_path, name, content, reason):
    (src / name).write_bytes(content)
    report, _ = _ingest(src, tmp_path)
    assert reason in _problems(report)[name]
    assert report.added == 1
    assert report.exit_code == 1


def test_undecodable_and_malformed_files_are_indexed_without_crashing(src, tmp_path):
    (src / "latin.txt").write_bytes("Caf\xe9 cr\xe8me\n\nLe caf\xe9 du port a ferm\xe9 ses portes.\n".encode("latin-1"))
    (src / "broken.html").write_bytes(b"<html><body><p>Unclosed <b>bold <i>"
                                      b"harbour text about the port and its cargo ships")
    (src / "garbage.txt").write_bytes(bytes(range(128, 256)) * 40)
    report, index = _ingest(src, tmp_path)
    assert report.exit_code in (0, 1)
    assert "latin.txt" not in _problems(report)
    with Archive(Settings(index=index)) as archive:
        assert archive.search("café").total == 1


def test_symlink_loop_is_reported_not_followed_forever(src, tmp_path):
    os.symlink(src, src / "loop")
    report, _ = _ingest(src, tmp_path)
    assert report.added == 1
    assert any("loop" in p.reason for p in report.skipped + report.failed)


def test_symlink_out_of_the_collection_is_not_read(src, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret\n\nThe password file lives outside the archive.\n")
    os.symlink(secret, src / "escape.txt")
    report, index = _ingest(src, tmp_path)
    assert "outside" in _problems(report)["escape.txt"]
    with Archive(Settings(index=index)) as archive:
        assert archive.search("password").total == 0


def test_many_tiny_files_are_all_indexed(tmp_path):
    src = tmp_path / "tiny"
    src.mkdir()
    for i in range(1000):
        (src / f"n{i:05d}.txt").write_text(f"Note {i}\n\nShort note number {i} about the harbour.\n")
    report, index = _ingest(src, tmp_path)
    assert report.added == 1000 and not report.failed
    with Archive(Settings(index=index)) as archive:
        assert archive.search("harbour").total == 1000
