"""Property-based fuzzing of the query path: the parser, the archive, the CLI and the web app.

Whatever a user types, the answer is results or a plain message: never a traceback, never a 500.
"""

from __future__ import annotations

import json

from clirun import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.errors import BadQuery
from archive.query import parse
from archive.render import snippet_html

# Pieces a hostile or clumsy query is made of: operators, quotes, brackets, field prefixes.
PIECES = st.sampled_from([
    "AND", "OR", "NOT", "-", "+", "(", ")", '"', "“", "”", "*", "~", "~2", "~99", ":", "title:", "source:",
    "lang:", "date:", "date:>=", "date:2020..", "..", "year:", "collection:", "oil", "prices", "Korea’s",
    "김정은", "中国", "C++", "U.S.", "3.5%", "e-mail", "\\", "'", "%", "&", "<script>", "\x00", "\u200b",
    "ﬁ", "İ", "ß", "\U0001F600", " ", "  ", "\n", "\t",
])
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(PIECES, max_size=40).map("".join),
    st.lists(PIECES, max_size=40).map(" ".join),
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(QUERIES)
def test_parser_never_raises_anything_but_bad_query(query):
    try:
        parsed = parse(query)
    except BadQuery as exc:
        assert str(exc)
    else:
        assert isinstance(parsed.tree.describe(), str)


@FUZZ
@given(QUERIES)
def test_archive_search_answers_every_query(archive, query):
    try:
        result = archive.search(query, limit=3)
    except BadQuery as exc:
        assert str(exc)
    else:
        assert result.total >= len(result.hits)
        for hit in result.hits:
            for snippet in hit.snippets:
                assert "<script" not in snippet_html(snippet).lower()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_cli_search_exits_cleanly(sample_index, query):
    result = invoke("search", "--index", str(sample_index), "--json", "--", query)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code in (0, 1):
        json.loads(result.stdout)


@FUZZ
@given(QUERIES)
def test_web_search_and_api_never_fail(client, query):
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    api = client.get("/api/search", query_string={"q": query})
    assert api.status_code in (200, 400)
    assert "error" in api.get_json() or "total" in api.get_json()


def test_a_very_long_query_is_cut_and_answered(archive):
    result = archive.search("oil " * 5000)
    assert any("cut" in m or "first" in m for m in result.messages)
