"""`archive extract` reads every format ingest reads, with the lines ingest learnt.

What it prints is what is indexed.
"""

from __future__ import annotations

import json

from clirun import invoke
from fixtures.formats import make

from archive.archive import Archive
from archive.config import Settings
from archive.ingest import ingest


def _records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_extract_prints_one_record_per_document_of_every_format(tmp_path):
    src = tmp_path / "mixed"
    src.mkdir()
    make.make_docx(src / "note.docx")
    make.make_mbox(src / "inbox.mbox", [make.make_message("Tender brief", "The quarry tender is attached.")])
    make.make_zip(src / "bundle.zip", {"inner/memo.txt": b"Memo\n\nThe walrus budget was approved on Friday.\n"})
    make.make_pdf(src / "report.pdf", [["The harbour dredging report counts seven cranes."]], title="Dredging report")
    result = invoke("extract", "--json", str(src))
    assert result.exit_code == 0, result.output
    by_rel = {r["relpath"]: r for r in _records(result.stdout)}
    assert "Analysts called the outlook uncertain." in by_rel["note.docx"]["text"]
    assert "walrus budget" in by_rel["bundle.zip!/inner/memo.txt"]["text"]
    assert "seven cranes" in by_rel["report.pdf"]["text"]
    assert any(rel.startswith("inbox.mbox#") and "quarry tender" in r["text"] for rel, r in by_rel.items())
    assert {r["format"] for r in by_rel.values()} >= {"docx", "pdf", "text"}


def test_extract_text_equals_the_indexed_text_with_learnt_lines(tmp_path):
    src = tmp_path / "weekly"
    src.mkdir()
    template = "Brought to you each morning by the Quarry Weekly desk team"
    for i, topic in enumerate(["parish", "county", "district", "town"]):
        (src / f"a{i}.txt").write_text(f"Quarry story {i}\n\nThe {topic} council met on Tuesday to discuss the "
                                       f"gravel permits for the northern pits.\n\n{template}\n")
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    result = invoke("extract", "--json", str(src / "a1.txt"), env={"ARCHIVE_INDEX": str(settings.index)})
    assert result.exit_code == 0, result.output
    (record,) = _records(result.stdout)
    assert template not in record["text"]
    with Archive(settings) as archive:
        doc = archive.get(archive.search("county gravel").hits[0].id)
        assert record["text"] == doc.text
