"""Control characters in file names and document fields are escaped in summaries, logs and text
output: a file name with a line break cannot forge a line, a title cannot drive the terminal."""

from __future__ import annotations

import io
import logging

import pytest
from clirun import run

from archive.printable import PrintableArgs, printable

FORGED = "a.txt\n  failed: secret.txt"
TITLE = "Evil\x1b[2J title"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("ctl")
    folder = root / "news"
    folder.mkdir()
    body = "The lighthouse keeper wrote this. " + "The harbour was calm and the ships came in on time. " * 40
    (folder / FORGED).write_text(f"{TITLE}\n\n{body}\n")
    (folder / "b\rbad.txt").write_bytes(b"\x00\x01\x02\x03binary\x00" * 20)
    index = root / "index"
    done = run("ingest", str(folder), index=index)
    return folder, index, done


def test_ingest_summary_keeps_each_file_on_its_line(hostile):
    folder, _, done = hostile
    assert done.returncode == 1, done.stderr  # the binary file failed
    lines = done.stderr.splitlines()
    assert not any(line.startswith("  failed: secret.txt") for line in lines), done.stderr
    failed = [line for line in lines if line.startswith("  failed:")]
    assert failed == [f"  failed: {folder}/b\\rbad.txt: binary content, not text"]


def test_search_text_output_escapes_titles_and_paths(hostile):
    folder, index, _ = hostile
    done = run("search", "lighthouse", index=index)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    assert "1. Evil\\x1b[2J title" in done.stdout
    assert f"{folder}/a.txt\\n  failed: secret.txt" in done.stdout
    assert "[[lighthouse]]" in done.stdout


def test_kwic_text_output_escapes_titles(hostile):
    _, index, _ = hostile
    done = run("kwic", "lighthouse", index=index)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "Evil\\x1b[2J title" in done.stdout


def test_log_lines_escape_the_values_put_into_them():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(PrintableArgs())
    log = logging.getLogger("archive.test_control_chars")
    log.addHandler(handler)
    try:
        log.warning("cannot read %s (%s)", FORGED, "bad\x1b[31m")
    finally:
        log.removeHandler(handler)
    assert out.getvalue() == "cannot read a.txt\\n  failed: secret.txt (bad\\x1b[31m)\n"


@pytest.mark.parametrize("text, shown", [
    ("plain", "plain"), ("tab\there", "tab\\there"), ("cr\rlf\n", "cr\\rlf\\n"), ("\x07\x7f\x85", "\\x07\\x7f\\x85"),
    ("line\u2028sep", "line\\u2028sep"), ("혜산 ok", "혜산 ok"),
])
def test_printable_escapes_control_characters_only(text, shown):
    assert printable(text) == shown
