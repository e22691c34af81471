"""Archives as users download them: members keep their own dates, and READMEs inside are skipped.

Real tar, zip and gzip files are written here with known member timestamps; the archive files
themselves are stamped with a recent time (when a user would have downloaded them), which no
document may take. Ingest and search run as the user runs them: the `archive` command in a
subprocess, against an index on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from fixtures.formats import make

ARCHIVE = [str(Path(sys.executable).parent / "archive")]
DOWNLOADED = datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp()  # the archive files' own mtime


def _story(title: str, body: str) -> bytes:
    return f"{title}\n\n{body}\n".encode()


def _at(y: int, m: int, d: int) -> int:
    """Return a timestamp at noon UTC of a day (a date that reads the same in any time zone)."""
    return int(datetime(y, m, d, 12, tzinfo=UTC).timestamp())


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(ARCHIVE + list(args), capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def _every_hit(index: Path) -> dict:
    """Return the search object of `*` with every hit (path -> date) as the CLI prints it."""
    proc = _run("search", "--index", str(index), "--json", "--limit", "100", "*")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _dates(data: dict) -> dict[str, str]:
    """Return each hit's date by its title (a member's `path` is its archive file's)."""
    return {h["title"]: h["date"] for h in data["hits"]}


def _stamp_downloaded(folder: Path) -> None:
    for f in folder.iterdir():
        os.utime(f, (DOWNLOADED, DOWNLOADED))


def test_archive_members_are_dated_by_their_own_timestamps_not_the_archive_file(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    make.make_tar(src / "wire.tar.gz", {
        "wire/business/001.txt": _story("Harbour cranes idle", "The harbour cranes stood idle as the dockers struck."),
        "wire/business/002.txt": _story("Ferry fares rise", "Fares on the island ferry rise again next month."),
        "wire/dated.txt": _story("Board meets", "The port board met on 12 March 2011 to approve the dredging."),
    }, gz=True, mtimes={"wire/business/001.txt": _at(2004, 11, 2), "wire/business/002.txt": _at(2005, 1, 20),
                        "wire/dated.txt": _at(2006, 1, 1)})
    make.make_zip(src / "reports.zip", {
        "reports/quarry.txt": _story("Quarry tender", "The quarry tender closes with three bids on the table."),
    }, dates={"reports/quarry.txt": (2012, 5, 4, 9, 30, 0)})
    make.make_gz(src / "memo.txt.gz", _story("Lighthouse memo", "The lighthouse keeper asks for a new lens."),
                 mtime=_at(1999, 7, 7))
    _stamp_downloaded(src)

    proc = _run("ingest", "--index", str(tmp_path / "ix"), "--json", str(src))
    assert proc.returncode == 0, proc.stderr
    data = _every_hit(tmp_path / "ix")
    assert _dates(data) == {
        "Harbour cranes idle": "2004-11-02",  # tar member mtime
        "Ferry fares rise": "2005-01-20",
        "Board meets": "2011-03-12",  # a date in the text comes before the member's mtime
        "Quarry tender": "2012-05-04",  # zip member date
        "Lighthouse memo": "1999-07-07",  # gzip header mtime
    }
    assert data["facets"]["year"] == {"1999": 1, "2004": 1, "2005": 1, "2011": 1, "2012": 1}
    assert "2026" not in json.dumps(data["facets"])


def test_a_nested_archive_keeps_its_members_dates_and_a_gz_without_one_is_dated_as_a_plain_file(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    minutes = _story("Council minutes", "The council voted on the sea wall.")
    inner = make.make_zip(tmp_path / "inner.zip", {"minutes.txt": minutes},
                          dates={"minutes.txt": (2008, 2, 14, 10, 0, 0)})
    make.make_tar(src / "bundle.tar", {"bundle/inner.zip": inner.read_bytes(),
                                       "bundle/note.txt": _story("Tide note", "Spring tides flood the lower quay.")},
                  mtimes={"bundle/inner.zip": _at(2010, 6, 1), "bundle/note.txt": _at(2010, 6, 2)})
    make.make_gz(src / "undated.txt.gz", _story("Buoy log", "The buoy log shows calm water all week."), mtime=0)
    _stamp_downloaded(src)
    plain = src / "plain.txt"
    plain.write_bytes(_story("Pier survey", "The pier survey found rust on every pile."))
    os.utime(plain, (DOWNLOADED, DOWNLOADED))

    assert _run("ingest", "--index", str(tmp_path / "ix"), str(src)).returncode == 0
    dates = _dates(_every_hit(tmp_path / "ix"))
    assert dates["Council minutes"] == "2008-02-14"  # the inner zip's own date, not the tar's
    assert dates["Tide note"] == "2010-06-02"
    # A gzip header without a time (0) says nothing: the file is dated as a plain file is, by its mtime.
    assert dates["Buoy log"] == dates["Pier survey"] == "2026-12-01"


def test_readmes_and_excluded_names_inside_archives_are_skipped_as_they_are_outside(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    config = tmp_path / "archive.toml"
    config.write_text('exclude = [".*", "*~", "README", "README.*", "*.draft.txt", "scratch"]\n')
    members = {
        "bbc/README.TXT": b"Consists of 2225 documents from the BBC news website.\n",
        "bbc/README": b"About this folder: the gannet colony stories.\n",
        "bbc/tech/001.txt": _story("Chip plant opens", "A chip plant opens beside the harbour."),
        "bbc/tech/002.draft.txt": _story("Draft", "An unfinished draft about the gannet colony."),
        "bbc/tech/003.txt~": _story("Backup", "A backup copy about the gannet colony."),
        "bbc/scratch/004.txt": _story("Scratch", "Scratch notes about the gannet colony."),
        "bbc/.hidden.txt": _story("Hidden", "A hidden note about the gannet colony."),
    }
    make.make_tar(src / "bbc.tar.gz", members, gz=True)
    make.make_zip(src / "bbc.zip", {k.replace("bbc/", "zbbc/"): v for k, v in members.items()})
    make.make_gz(src / "README.md.gz", b"Readme of the folder: gannet colony.\n")
    # The same names outside an archive, for comparison: the walker skips them.
    for name, data in members.items():
        path = src / "loose" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    proc = _run("ingest", "--index", str(tmp_path / "ix"), "--json", str(src), env={"ARCHIVE_CONFIG": str(config)})
    assert proc.returncode == 0, proc.stderr
    data = _every_hit(tmp_path / "ix")
    # Identical copies are one result listing every file they came from: the story, three times.
    assert [h["title"] for h in data["hits"]] == ["Chip plant opens"], data["hits"]
    every = sorted(p.split("/downloads/", 1)[1] for p in data["hits"][0]["paths"])
    assert every == ["bbc.tar.gz", "bbc.zip", "loose/bbc/tech/001.txt"]
    gannet = _run("search", "--index", str(tmp_path / "ix"), "--count", "gannet")
    assert gannet.stdout.strip() == "0"
