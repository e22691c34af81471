"""Cleaning HTML pages: main text with headings and paragraph breaks, metadata, reasons for what was left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.clean import clean_html
from archive.ingest.extract import extract_file

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "clean"
PARAGRAPHS = [
    "Dockers at the container terminal voted by a large majority on Wednesday",
    "The deal raises basic pay by 4.5% this year",
    "Shipping lines return",
    "Two shipping lines that had diverted vessels",
    "The terminal operator said it expected normal working",
]


@pytest.fixture(scope="module")
def page():
    return clean_html((FIXTURES / "port-page.html").read_text(encoding="utf-8"))


def test_html_metadata_is_read_from_the_markup(page):
    assert (page.title, page.source, page.date, page.url, page.language, page.author) == (
        "Dockers vote to accept pay deal", "Quayside Times", "2023-05-04",
        "https://quayside.example/2023/05/04/dockers-vote/", "en", "Ines Calder")


def test_html_text_keeps_every_paragraph_and_the_subheading_as_its_own_paragraph(page):
    paras = page.text.split("\n\n")
    assert [next(i for i, p in enumerate(paras) if p.startswith(x)) for x in PARAGRAPHS] == [0, 1, 2, 3, 4]
    assert "Shipping lines return" in paras


@pytest.mark.parametrize(
    "fragment",
    ["cookies", "Sport", "By Ines Calder", "Photo: Quayside Times", "Sign up for our free", "Terminal posts record",
     "All rights reserved", "Business", "Dockers vote to accept pay deal"],
)
def test_html_boilerplate_is_not_in_the_text(page, fragment):
    assert fragment not in page.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("News", "navigation"),
        ("Cranes stand idle at the container terminal. Photo: Quayside Times", "photo caption"),
        ("Terminal posts record volumes", "related links list"),
        ("© 2023 Quayside Times. All rights reserved.", "page footer"),
        ("We use cookies to improve your experience. Accept all", "cookie banner"),
    ],
)
def test_html_left_out_blocks_carry_the_reason_of_their_place(page, text, reason):
    assert (text, reason) in [(r.text, r.reason) for r in page.removed]


def test_html_with_too_little_text_falls_back_and_says_so():
    page = clean_html("<html><body><nav>Home News</nav><div>Berth 3 closed.</div>"
                      "<div>Berth 4 opens at noon.</div></body></html>")
    assert page.text == "Berth 3 closed.\n\nBerth 4 opens at noon."
    assert page.notes and "main-text extractor returned too little" in page.notes[0]


@pytest.mark.parametrize("raw", ["", "   ", "<html></html>", "<p>", "not html at all",
                                 "<?xml version='1.0' encoding='utf-8'?><html/>"])
def test_html_odd_input_never_crashes(raw):
    assert clean_html(raw).text == clean_html(raw).text


def test_duplicate_story_in_text_and_html_cleans_to_the_same_text(samples_dir):
    a = extract_file(samples_dir / "northern-ledger/2024-06-20-oil-prices-climb-red-sea-disruption.txt",
                     collection="samples", root=samples_dir)
    b = extract_file(samples_dir / "valley-courier/2024-06-20-oil-prices-climb-red-sea-disruption.html",
                     collection="samples", root=samples_dir)
    assert (a.title, a.text) == (b.title, b.text)
    assert a.content_hash == b.content_hash


def test_a_block_the_extractor_split_over_two_lines_is_kept_whatever_the_hashing():
    """A block whose words the main text holds across a line break is in the text, not left out;
    the kept lines are read in their order (in a set's order, which follows string hashing, the
    answer changed from one process to the next)."""
    import os
    import subprocess
    import sys

    code = (
        "from archive.clean.blocks import Block\n"
        "from archive.clean.html import _left_out_blocks\n"
        "kept = '\\n'.join(f'line {i} of the article text' for i in range(30))\n"
        "kept = kept.replace('line 12 of the article text', 'line 12 of the article text and the first')\n"
        "kept = kept.replace('line 13 of', 'half of a quoted sentence line 13 of')\n"
        "got = _left_out_blocks([Block('and the first half of a quoted sentence', None)], kept)\n"
        "print([r.text for r in got])\n"
    )
    answers = set()
    for seed in range(6):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        answers.add(out.stdout.strip())
    assert answers == {"[]"}
