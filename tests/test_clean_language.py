"""A document's language: by script for Korean, Japanese and Chinese, by common words otherwise."""

from __future__ import annotations

import pytest

from archive.clean.language import detect_language

ENGLISH = "The minister said on Monday that the talks with the unions were going well and that it was time."
GERMAN = "Der Minister sagte am Montag, dass die Gespräche mit den Gewerkschaften gut laufen und nicht enden."
FRENCH = "Le ministre a dit que les discussions avec les syndicats sont en bonne voie et que la grève est finie."


@pytest.mark.parametrize("text, code", [
    (ENGLISH, "en"),
    (ENGLISH.upper(), "en"),
    (GERMAN, "de"),
    (GERMAN.replace("ä", "ae"), "de"),  # ASCII only
    (FRENCH, "fr"),
    (FRENCH.replace("è", "e"), "fr"),
    ("서울 시장은 오늘 새 예산안을 발표했다. 시의회는 다음 주에 심의한다.", "ko"),
    ("東京の株価は今日も上がりました。市場はまだ強いです。", "ja"),
    ("北京市政府今天公布了新的预算方案，市议会将于下周审议。", "zh"),
    ("Oil 3.5%", ""),  # too few words to go on
    ("", ""),
])
def test_languages(text, code):
    assert detect_language(text) == code


@pytest.mark.parametrize("text", [
    ENGLISH, GERMAN.replace("ä", "ae"), FRENCH.replace("è", "e"),
    "snake_case_and_words THE_END of 2024_results in 3rd place, and the 4x4s of the 1990s were at the top",
    "".join(map(chr, range(128))) * 3 + " the and of to in is that for it",
    # Digits and underscores end a word: these are English stop words, and the rest German.
    "the1 and2 of3 to_in is4 that5 for6 it7 was8 on9 with0 der die und das ist nicht mit sich des auf",
])
def test_an_ascii_text_is_judged_as_any_other(text):
    """An ASCII text takes a shorter path: it gets the answer the general path gives (a no-break space,
    which is no letter, sends the same text down the general path)."""
    assert text.isascii()
    assert detect_language(text) == detect_language(text + "\u00a0")
