"""Matches as spans: snippets index their own text, and each renderer shows the same spans."""

from __future__ import annotations

from archive.documents import Hit
from archive.highlight import snippets
from archive.render import html, snippet_html, terminal
from archive.spans import Snippet


def spans_of(text: str, word: str) -> list[tuple[int, int]]:
    out, pos = [], text.find(word)
    while pos >= 0:
        out.append((pos, pos + len(word)))
        pos = text.find(word, pos + 1)
    return out


def test_snippet_spans_point_at_the_matches_in_the_snippet_text():
    text = "lead line\n" + "pad " * 200 + "tin\nbox tin " + "pad " * 200 + "last tin"
    out = snippets(text, spans_of(text, "tin"), 3, width=60)
    assert len(out) == 2 and all(s.text.startswith("…") for s in out)
    for snip in out:
        assert "\n" not in snip.text and snip.spans
        assert all(snip.text[s:e] == "tin" for s, e in snip.spans)
    assert out[0].text.endswith("…") and not out[1].text.endswith("…")


def test_a_span_cut_by_the_window_is_kept_whole():
    text = "x" * 10 + " alpha beta gamma " + "y" * 10
    snip = snippets(text, [(11, 27)], 1, width=12)[0]
    assert snip.text[slice(*snip.spans[0])] == "alpha beta gamma"


def test_terminal_text_marks_spans_and_escapes_control_characters():
    snip = Snippet("a\x1b[31m <b>red</b>\tend", [(7, 10), (18, 21)])
    assert terminal(snip, tty=False) == "a\\x1b[31m [[<b>]]red</b>\\t[[end]]"
    assert terminal(snip, tty=True) == "a\\x1b[31m \x1b[7m<b>\x1b[0mred</b>\\t\x1b[7mend\x1b[0m"


def test_html_and_terminal_show_the_same_spans():
    snip = Snippet("…fish & <chips> fish…", [(1, 5), (16, 20)])
    assert snippet_html(snip) == "…<mark>fish</mark> &amp; &lt;chips&gt; <mark>fish</mark>…"
    assert terminal(snip, tty=False) == "…[[fish]] & <chips> [[fish]]…"
    assert html(snip.text, []) == "…fish &amp; &lt;chips&gt; fish…"


def test_a_hits_json_holds_its_snippets_as_marked_html():
    snip = Snippet("oil & gas", [(0, 3)])
    hit = Hit(id="1", title="Oil", source="s", collection="c", date="", url="", path="/p", paths=["/p"], score=1.0,
              snippets=[snip], title_spans=[(0, 3)])
    d = hit.to_dict()
    assert d["snippets"] == ["<mark>oil</mark> &amp; gas"] and "title_spans" not in d
    assert list(d) == ["id", "title", "source", "collection", "date", "url", "path", "paths", "score", "snippets",
                       "matched"]
