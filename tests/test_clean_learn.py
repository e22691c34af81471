"""Learning a source's boilerplate from lines that recur verbatim across its documents."""

from __future__ import annotations

from archive.clean.learn import learn_repeated_lines
from archive.ingest.extract import extract_file

PROMO = "Catch every match — the Rovers Weekly podcast is out on Fridays"


def _article(i: int, promo: bool = True) -> str:
    lines = [f"Match report {i}", f"The home side won {i}-0 in front of a crowd of {1000 + i}.",
             f"Second half of game {i}", f"Goal number {i} came late in the game."]
    if promo:
        lines += ["", PROMO, "Share:  Facebook   X"]
    return "\n".join(lines)


def test_lines_in_most_documents_are_learnt_with_whitespace_normalised():
    learnt = learn_repeated_lines([_article(i) for i in range(5)])
    assert learnt == {PROMO, "Share: Facebook X"}


def test_nothing_is_learnt_from_fewer_than_three_documents():
    assert learn_repeated_lines([_article(1), _article(2)]) == frozenset()


def test_a_line_in_too_few_documents_is_not_learnt():
    texts = [_article(i, promo=i < 3) for i in range(12)]  # the promo is in 3 of 12 (25 %)
    assert PROMO not in learn_repeated_lines(texts)


def test_learnt_lines_are_removed_with_their_reason(tmp_path):
    learnt = learn_repeated_lines([_article(i) for i in range(5)])
    path = tmp_path / "report.txt"
    path.write_text(_article(9) + f"\n\nThe manager said: {PROMO.lower()}.\n", encoding="utf-8")
    doc = extract_file(path, collection="c", root=tmp_path, learnt=learnt)
    assert PROMO not in doc.text
    assert ("Share: Facebook X", "repeated in many documents of this source") in [
        (" ".join(r.text.split()), r.reason) for r in doc.removed]
    assert f"The manager said: {PROMO.lower()}." in doc.text
