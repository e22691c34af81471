"""The rule screen answers as trying every boilerplate rule on the line would."""

from __future__ import annotations

import random
import re

from needs import SAMPLES, SEEDS

from archive.clean.rules import LineRule, RuleScreen, _top_branches, generic_rules

# Pieces of lines that rules look for, to mix with article text.
_PIECES = ["Photo: Jo Baker/PA", "/ Reuters photo", "(Getty Images)", "Download our app for alerts",
           "All rights reserved", "Share on Facebook", "Read more:", "Sign up for our newsletter today",
           "(Photo courtesy of the council)", "Tags: oil, markets", "By Anna Lee", "Advertisement",
           "Home | News | Sport", "사진=연합뉴스", "/ 사진 = 뉴스", "© 2024 The Paper", "Related: a b c",
           "the image: a cat", "Officials said on Monday.", "photo", "download the app", "Credit: AP"]


def _lines() -> list[str]:
    """The lines of the sample and seed pages, and lines made of their words and rule pieces."""
    lines: list[str] = []
    for folder in (SAMPLES, SEEDS):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".txt", ".html", ".htm", ".md"):
                lines += [x.strip() for x in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    rng = random.Random(5)
    words = [w for line in lines[:2000] for w in line.split()][:20000]
    for _ in range(20000):
        parts = [rng.choice(_PIECES) if rng.random() < 0.4 else " ".join(rng.sample(words, rng.randint(1, 12)))
                 for _ in range(rng.randint(1, 4))]
        lines.append(rng.choice([" ", " / ", ". ", "\n", " | "]).join(parts))
    return [x for x in lines if x]


def test_the_screen_says_what_every_rule_says():
    rules = generic_rules()
    screen = RuleScreen(rules)
    assert screen.anywhere  # some rules are searched for what follows their ".*"
    lines = _lines()
    matched = 0
    for line in lines:
        every = any(r.matches(line) for r in rules)
        assert screen(line) == every, line
        matched += every
    assert matched > 1000 and sum("\n" in x for x in lines) > 1000  # both answers, lines with breaks too


def test_patterns_are_taken_apart_at_their_top_level_branches_only():
    def screen(*patterns: str) -> RuleScreen:
        return RuleScreen(tuple(LineRule(re.compile(p, re.IGNORECASE), "r", "promo") for p in patterns))

    alternation = screen(".*x|y")  # "y" only at the start, "x" anywhere
    assert alternation.anywhere and not alternation("zzy") and alternation("y") and alternation("zzx")
    assert not screen("^(a|b)c")("zzbc") and screen("^(a|b)c")("bc")
    assert screen(r"(a)\1")("aa") and not screen(r"(a)\1|b")("ab") and screen(r"(a)\1|b")("b")
    # A pattern with a backreference is tried whole, at the start, beside patterns with groups of their own.
    assert not screen(r".*(a)\1|b")("xxb") and screen(r".*(a)\1|b")("xxaa")
    assert screen(r"(x)y", r"^(a)\1")("aa") and screen(r"(x)y", r"(a)\1")("xy")
    assert screen(".*")("anything") and screen("^")("x") and screen("a|")("zzz")
    assert not screen()("any line")
    assert _top_branches("a|b") == ["a", "b"] and _top_branches("(a)|b") == ["(a)", "b"]
    for whole in ("(a|b)c", "[|]a", r"\|a", "[]|]x", "[^]|]x", r"[\]|]x", "a(?:b|c)"):
        assert _top_branches(whole) == [whole]


def test_a_line_is_tried_with_every_rule_its_first_character_may_begin():
    """The screen tries a line's start only with the branches its first character may begin (read
    from their parse trees); it must still answer as every rule does, whatever the line begins
    with: each ASCII character, capitals, digits, and characters whose case folds into ASCII (the
    Kelvin sign, the long s, the dotted and dotless I)."""
    rules = generic_rules()
    screen = RuleScreen(rules)
    starts = [chr(i) for i in range(32, 127)] + ["\u212a", "\u017f", "\u0130", "\u0131", "\u00a9", "\uc0ac", "\t"]
    lines = []
    for piece in _PIECES + ["korean version", "1 comment", "12 min read", "Mon, 3 March 2024", "Related: x",
                            "Newsletters", "this post contains affiliate links", "Skip to content"]:
        for variant in (piece, piece.upper(), piece.lower(), piece[1:]):
            lines += [variant] + [start + variant for start in starts] + [start + " " + variant for start in starts]
        lines.append("\u212aorean version")  # K as the Kelvin sign, which folds to "k"
        lines.append("\u017fign up for our newsletter")  # s as the long s
    matched = 0
    for line in lines:
        every = any(r.matches(line) for r in rules)
        assert screen(line) == every, line
        matched += every
    assert matched > 500


def test_the_first_characters_of_a_pattern_are_those_it_can_begin_with():
    from archive.clean.rules import first_chars

    assert first_chars("abc") == frozenset("aA")
    assert first_chars(r"(\d+|no) comments") == frozenset("0123456789nN")
    assert first_chars("(?:please )?(support|donate)") == frozenset("pPsSdD")
    assert first_chars(r"\bby\b") == frozenset("bB")
    assert first_chars(r"(?-i:[A-Z])x") == frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    assert first_chars("k") >= {"k", "K"}
    for anything in (".x", "a?", "(a|)", "", r"(a)?\1", "[^a]b", r"\W{0,3}x?"):
        assert first_chars(anything) is None, anything


def test_the_texts_a_pattern_needs_are_in_every_line_it_matches():
    """A line is searched for a branch only when it holds the branch's needed texts (lower-cased);
    those are runs of literal characters outside optional parts and alternatives."""
    from archive.clean.rules import required_texts

    assert required_texts(r"\b(download|get) (the|our) [^.!?]{0,50}\bapps?\b") == ("app", " ")  # longest first
    assert set(required_texts(r"\((photo )?(credit:|via) [^)]{1,60}\)\s*$")) == {"(", " ", ")"}
    assert set(required_texts(r"Photo\s*:(?:x|y)+")) == {"photo", ":"}
    assert required_texts(r"(?:(/)|x(/))c?") == ("/",)  # what every alternative holds; the optional "c" is not
    assert required_texts(r"(?:ab|cab)") == ()  # whole runs are compared, not their parts
    assert required_texts("(a|)x*") == () and required_texts(r"(a)\1") == ("a",)
    assert required_texts("/ 사진") == ("/ ",)  # non-ASCII characters end a run
    rules = generic_rules()
    for line in _lines() + [x.replace("k", "\u212a").replace("s", "\u017f") for x in _PIECES]:  # Kelvin, long s
        for rule in rules:
            if rule.pattern.search(line):
                for branch in _top_branches(rule.pattern.pattern):
                    if re.compile(branch, re.IGNORECASE).search(line):
                        texts = required_texts(branch)
                        if line.isascii():  # what the screen looks for in an ASCII line, lower-cased
                            assert all(t in line.lower() for t in texts), (branch, line)
                        else:  # and in any other: the texts without letters, as they are
                            assert all(t in line for t in texts if t.lower() == t.upper()), (branch, line)
