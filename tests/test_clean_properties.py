"""Properties of cleaning that hold for any text: it removes whole lines (or the boilerplate piece of a
glued line), keeps the order, accounts for every word, and is idempotent."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.clean import clean_text

# Lines drawn from article prose and from the boilerplate kinds the cleaner knows, so that the
# generated texts exercise removals, paragraph edges and the related-list tail, not only prose.
_LINES = [
    "The minister spoke for an hour and took questions from reporters on the budget.",
    "Traders said the session was the busiest in a decade.",
    "Prices rose.",
    "Economic autonomy dismantled",
    "and then left the chamber without answering the final question on spending.",
    "Subscribe to our newsletter for the latest updates",
    "Read more: Port strike enters third week",
    "Photo: Reuters/Jane Doe",
    "Share this article",
    "Facebook Twitter WhatsApp Email",
    "Related:",
    "Kelsey Bay expansion plans approved",
    "• Memory safety is having a moment. Here's why",
    "By Mira Castell, Staff Reporter",
    "Published: Wednesday 13 March 2019, 4:12pm",
    "port cranes strike dockers wages pickets",
    "Pickets gather outside the main gate of Port Merrow. / Image: Harbour Gazette",
    "© 2024 Harbour Gazette. All rights reserved.",
    "Home",
    "the committee said it would look again at the plans for the harbour wall",
    "continue to review the figures next week, officials",
    "said on Tuesday",
    "Menu",
    "News",
    "",
    "   ",
]
_TEXTS = st.lists(st.one_of(st.sampled_from(_LINES), st.text(max_size=60)), max_size=25).map("\n".join)


def _norm_lines(text: str) -> list[str]:
    return [" ".join(x.split()) for x in text.split("\n") if x.strip()]


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    """Return True when each line of `small` is a line of `big`, or a piece of one, in order."""
    it = iter(big)
    return all(any(x in y for y in it) for x in small)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_clean_text_keeps_only_input_lines_in_their_order(raw):
    out = clean_text(raw)
    assert _is_subsequence(_norm_lines(out.text), _norm_lines(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_clean_text_accounts_for_every_line(raw):
    out = clean_text(raw)
    kept, removed = _norm_lines(out.text), [" ".join(r.text.split()) for r in out.removed]
    pieces = sorted(w for line in kept + removed for w in line.split())
    assert pieces == sorted(w for line in _norm_lines(raw) for w in line.split())
    whole = set(_norm_lines(raw))
    for line in kept + removed:  # a line that is not whole is a piece of a glued line
        assert line in whole or any(line in w for w in whole)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_clean_text_is_idempotent(raw):
    once = clean_text(raw)
    twice = clean_text(once.text)
    assert twice.text == once.text
    assert twice.removed == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_removed_blocks_point_into_the_original(raw):
    for r in clean_text(raw).removed:
        assert raw[r.start:].replace("\u00a0", " ").startswith(r.text)
