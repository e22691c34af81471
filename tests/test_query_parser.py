"""The query parser: how each query is read, and that odd input never raises anything but BadQuery."""

from __future__ import annotations

import pytest

from archive.errors import BadQuery
from archive.query import parse


@pytest.mark.parametrize(
    ("query", "reading"),
    [
        ("oil prices", "oil AND prices"),
        ('"border closes"', '"border closes"'),
        ('"border closes" OR title:Hyesan -china', '"border closes" OR (title:Hyesan AND NOT china)'),
        ("(oil OR gas) prices", "(oil OR gas) AND prices"),
        ("oil AND gas", "oil AND gas"),
        ("NOT oil", "* AND NOT oil"),
        ('"oil prices"~3', '"oil prices"~3'),
        ("econom*", "econom*"),
        ("goverment~", "goverment~1"),
        ("goverment~2", "goverment~2"),
        ('source:"Daily NK" lang:ko', 'source:"Daily NK" AND lang:ko'),
        ("date:2021", "date:2021-01-01..2021-12-31"),
        ("date:2020-01-01..2020-06-30", "date:2020-01-01..2020-06-30"),
        ("date:>=2019", "date:2019-01-01..*"),
        ("date:<2019", "date:*..2018-12-31"),
        ("date:2020-02", "date:2020-02-01..2020-02-29"),
        ("“curly quotes”", '"curly quotes"'),
        ("C++ U.S.", "C++ AND U.S."),
    ],
)
def test_query_is_read_as(query, reading):
    assert parse(query).tree.describe() == reading


@pytest.mark.parametrize("query", ['"', "AND OR", "(((", ")))", "NOT", '""', "-", "~", "*~", "title:", "(source:)"])
def test_query_with_nothing_to_search_gives_a_plain_message(query):
    try:
        parse(query)
    except BadQuery as exc:
        assert "nothing to search" in str(exc)


@pytest.mark.parametrize("query", ["a) b", "(a b", "a OR", "title: x", "date:someday x", "x" * 5000,
                                   "((((((((((((((((((((((((a))))))))))))))))))))))))"])
def test_odd_query_parses_and_says_what_was_repaired(query):
    parsed = parse(query)
    assert parsed.tree.describe()
