"""Cleaning of the seeds (the articles that define "clean") and of hand-made boilerplate cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import invoke

from archive.clean import clean_text, decode_bytes
from archive.ingest.extract import extract_file

MONEYCONTROL = "000_94b7117b25b8d248.txt"
DAILYNK = "003_5c2cc82df57d3438.txt"

# An article around the line under test: paragraphs of the length news paragraphs have.
MARKETS_OPENING = ("Traders said the session was the busiest in a decade, with volumes at twice the usual "
                   "level as investors sold shares in banks and property companies.")
MARKETS_CLOSING = ("The index closed lower after a late rally faded, leaving the main board down 2.3 per cent "
                   "on the week and at its lowest level since March.")


def _clean(seeds_dir: Path, name: str):
    return extract_file(seeds_dir / name, collection="seeds", root=seeds_dir)


def _lines(seeds_dir: Path, name: str) -> list[str]:
    text, _ = decode_bytes((seeds_dir / name).read_bytes())
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def test_moneycontrol_seed_loses_its_three_promo_lines(seeds_dir):
    doc = _clean(seeds_dir, MONEYCONTROL)
    removed = [r.text for r in doc.removed]
    assert len(removed) == 3
    assert removed[0].startswith("Discover the latest Business News")
    assert removed[1].startswith("Find the best of Al News in one place")
    assert removed[2] == "Stay on top of the latest tech trends and biggest startup news."
    for line in removed:
        assert line not in doc.text


def test_moneycontrol_seed_keeps_every_subheading_and_paragraph(seeds_dir):
    doc = _clean(seeds_dir, MONEYCONTROL)
    kept = _lines(seeds_dir, MONEYCONTROL)[:-3]
    body = doc.title + "\n" + doc.text
    for line in kept:
        assert line in body, line
    for heading in ("That window has slammed shut", "The border closes, and a city suffocates",
                    "Economic autonomy dismantled", "A city cut off from the world", "Hopes for reform fade"):
        assert f"\n\n{heading}\n\n" in doc.text


def test_dailynk_seed_loses_tag_line_caption_contact_and_korean_link(seeds_dir):
    doc = _clean(seeds_dir, DAILYNK)
    by_text = {r.text: r.reason for r in doc.removed}
    assert set(by_text) == {
        "hyesan director homeless gold smuggling explosions",
        "A view of Hyesan, in North Korea’s Yanggang Province. / Image: Daily NK",
        "Please direct any comments or questions about this article to",
        "Read in Korean",
    }
    assert by_text["hyesan director homeless gold smuggling explosions"] == "image tag list"
    assert by_text["A view of Hyesan, in North Korea’s Yanggang Province. / Image: Daily NK"] == "photo caption"


def test_dailynk_seed_keeps_every_article_sentence(seeds_dir):
    doc = _clean(seeds_dir, DAILYNK)
    removed = {r.text for r in doc.removed}
    body = doc.title + "\n" + doc.text
    for line in _lines(seeds_dir, DAILYNK):
        if line not in removed:
            assert line in body, line
    assert "Kimhyongjok County" in doc.text  # the variant spelling is article text


def test_seed_sources_are_recognised(seeds_dir):
    assert _clean(seeds_dir, MONEYCONTROL).source == "Moneycontrol"
    assert _clean(seeds_dir, DAILYNK).source == "Daily NK"


def test_extract_json_shows_removed_blocks_with_reasons(seeds_dir):
    result = invoke("extract", "--json", str(seeds_dir / DAILYNK))
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.strip().splitlines()[0])
    assert set(record) >= {"path", "title", "source", "date", "url", "language", "text", "removed"}
    assert {"text": "Read in Korean", "reason": "promo: other-language edition link"} in record["removed"]
    assert "Read in Korean" not in record["text"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Subscribe to our newsletter for the latest updates", "promo: newsletter or subscription"),
        ("Sign up for our free morning briefing", "promo: newsletter or subscription"),
        ("Download the Harbour Gazette app to stay updated!", "promo: app download"),
        ("Read more: Port strike enters third week", "promo: read more link"),
        ("Photo: Reuters/Jane Doe", "photo caption"),
        ("Dockers gather at the gate on Monday. (Getty Images)", "photo caption"),
        ("Share this article", "share/follow buttons"),
        ("Facebook Twitter WhatsApp Email", "share/follow buttons"),
        ("Follow us on Facebook and Twitter", "share/follow buttons"),
        ("Related: Shipping rates climb", "related links list"),
        ("By Mira Castell, Staff Reporter", "byline"),
        ("© 2024 Harbour Gazette. All rights reserved.", "copyright notice"),
    ],
)
def test_generic_boilerplate_line_is_removed_with_its_reason(line, reason):
    text = f"Port talks resume\n\nThe union and the port authority met on Monday to resume talks.\n\n{line}\n"
    cleaned = clean_text(text)
    assert [(r.text, r.reason) for r in cleaned.removed] == [(line, reason)]
    assert "The union and the port authority met on Monday to resume talks." in cleaned.text


@pytest.mark.parametrize(
    "line",
    [
        "Economic autonomy dismantled",  # a subheading
        "Prices rose.",  # a short real paragraph
        "by the numbers",  # lower case, but made of function words
        "Read the full report on the ministry's website, where the figures are explained in detail.",
    ],
)
def test_content_lines_are_kept(line):
    text = f"Markets in turmoil\n\n{MARKETS_OPENING}\n\n{line}\n\n{MARKETS_CLOSING}"
    cleaned = clean_text(text)
    assert line in cleaned.text
    assert cleaned.removed == []


def test_boilerplate_inside_a_paragraph_is_kept():
    text = ("The minister spoke for an hour and took questions from reporters on the budget\n"
            "Subscribe to our newsletter\n"
            "and then left the chamber without answering the final question on spending.\n")
    assert "Subscribe to our newsletter" in clean_text(text).text
