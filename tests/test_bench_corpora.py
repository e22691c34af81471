"""The benchmark's corpus builders: Reuters SGML parsing and the scaled corpus of varied copies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import corpora  # noqa: E402

SGML_ATTRS = ' TOPICS="YES" LEWISSPLIT="TRAIN" NEWID="42"'
SGML_INNER = """
<DATE> 3-MAR-1987 09:15:01.79</DATE>
<TOPICS><D>crude</D><D>ship</D></TOPICS>
<TEXT>&#2;
<TITLE>OIL &lt;XON&gt; TANKER &amp; PORT</TITLE>
<DATELINE>    LONDON, March 3 - </DATELINE><BODY>Exxon &lt;XON> said the
tanker reached port Z\xfcrich.
    A second paragraph
on two lines.
 Reuter
&#3;</BODY></TEXT>
"""


def test_a_reuters_story_is_parsed_with_entities_date_topic_and_paragraphs():
    story = corpora.parse_story(SGML_ATTRS, SGML_INNER)
    assert story is not None
    assert (story.newid, story.date, story.topic) == (42, "1987-03-03", "crude")
    assert story.title == "OIL <XON> TANKER & PORT"
    assert story.paragraphs[0] == "Exxon <XON> said the tanker reached port Z\xfcrich."
    assert story.paragraphs[1] == "A second paragraph on two lines."
    assert "\x03" not in story.text()
    assert story.relpath() == "crude/1987-03-03-00042.txt"
    assert story.relpath(2) == "crude/1987-03-03-00042-c2.txt"


def test_a_story_without_a_body_is_left_out():
    story = "<DATE>3-MAR-1987 09:15</DATE><TEXT TYPE=\"BRIEF\"><TITLE>X</TITLE></TEXT>"
    assert corpora.parse_story(SGML_ATTRS, story) is None


def test_copies_vary_their_text():
    story = corpora.parse_story(SGML_ATTRS, SGML_INNER)
    assert story is not None
    variant = corpora.vary(story, 1)
    assert variant != story.paragraphs
    assert variant[0] == "Exxon <XON> stated the tanker reached port Z\xfcrich."


def test_the_scaled_corpus_has_distinct_files_and_a_manifest(tmp_path):
    folder = corpora.build_scaled(tmp_path, target=250, limit=100)
    files = sorted(folder.rglob("*.txt"))
    assert len(files) == 250
    manifest = (tmp_path / f"{folder.name}.manifest.tsv").read_text().splitlines()
    assert manifest[0] == "path\toriginal\tcopy" and len(manifest) == 251
    texts = {}
    for line in manifest[1:]:
        path, original, copy = line.split("\t")
        texts[path] = (folder / path).read_text()
        if copy != "0":
            assert texts[path] != (folder / original).read_text(), path
    # Copies never repeat their own original or each other (Reuters' own duplicates may remain).
    assert len(set(texts.values())) >= 245
    # A second call reuses the stamped folder.
    assert corpora.build_scaled(tmp_path, target=250, limit=100) == folder


@pytest.mark.parametrize("limit", [30])
def test_bbc_subset_spreads_over_every_category(tmp_path, limit):
    folder = corpora.build_bbc(tmp_path, limit)
    cats = {p.parent.name for p in folder.rglob("*.txt")}
    assert cats == {"business", "entertainment", "politics", "sport", "tech"}
    assert corpora.count_files(folder) == limit
