"""Hard cases of cleaning, both ways, with the shipped line classifier.

Kept: real article sentences that open with a promo's, a share widget's or a caption's words
("Print runs of the paper fell…", "Email records show…", "Photos taken by the drone…"). Removed:
boilerplate lines of every kind, none of them taken from the seed articles, placed where such lines
sit on real pages. And glued lines: a boilerplate piece saved on one line with an article sentence
loses the piece and keeps the sentence.
"""

from __future__ import annotations

import pytest

from archive.clean import clean_text

HEADLINE = "River breaks its banks after a week of heavy rain"
OPENING = ("The River Thames burst its banks in several places on Sunday after a week of heavy rain, "
           "flooding roads and forcing the evacuation of more than 200 homes, officials said.")
MIDDLE = ("Emergency services worked through the night to fill sandbags and move residents to a leisure "
          "centre on higher ground, where the council set up beds and a field kitchen.")
CLOSING = ("Forecasters expect the rain to ease by Wednesday, but warned that river levels would keep "
           "rising for several days as water from upstream reached the town.")

KEPT = [
    "Print runs of the paper fell by a third last year, the publisher said in its annual report.",
    "Email records show the minister was warned about the contract in March.",
    "Photos taken by the drone show the extent of the flooding along the river.",
    "Stay informed, officials urged residents on Monday as the storm approached the coast.",
    "Subscriber numbers for the streaming service rose by two million in the quarter, the company said.",
    "Share prices in Tokyo fell sharply after the central bank's announcement.",
    "Follow-up tests found no trace of the contaminant in the city's water supply.",
    "Download speeds in rural areas remain far below the national average, the regulator found.",
    "Read together, the two reports suggest the slowdown is spreading to services.",
    "Sign-up rates for the pension scheme rose after the government made enrolment automatic.",
    "Related charges against two other executives were dropped last week.",
    "Image rights for athletes have become a major source of income for top footballers.",
    "Copyright lawyers say the ruling could reshape how news is licensed to technology companies.",
    "Comments made by the governor on Tuesday drew criticism from opposition lawmakers.",
    "Join the queue, a volunteer told new arrivals at the food bank on Saturday morning.",
    "Advertising revenue at the group fell 12% in the first half of the year.",
    "Supporting our local newsroom, readers raised $40,000 in a week to keep the paper printing.",
    "Support us or lose us, the charity's director warned donors at the annual dinner.",
    "Trending upward for a third month, inflation reached 4.1% in October.",
    "Most read among the leaked documents was a memo on border security, officials said.",
    "Photo finish: the race was decided by a hundredth of a second, the stewards ruled.",
    "Don't miss the deadline, tax officials told self-employed workers on Friday.",
    "Register of members' interests shows the MP received £5,000 from the firm.",
    "Join now or lose out, union leaders told workers ahead of the ballot.",
    "Sign up was slow at first, but by June more than 40,000 farmers had joined the scheme.",
    "Read in Korean, the statement carried a sharper warning than the English version.",
    "By Monday, the river had risen another two metres.",
    "By Thursday evening, more than 300 people had been evacuated from the valley.",
    "By John's own account, the deal was struck over dinner in Geneva.",
    "Updated figures published on Tuesday show unemployment rose in 2023 to 5.2%.",
    "Posted to a remote island in 1998, the doctor stayed for twenty years.",
    "Watch the skies: astronomers expect the meteor shower to peak on Wednesday night.",
    "Listen to the farmers and you hear a different story about the drought.",
    "Click-through rates on the ministry's warnings were below 1%, an audit found.",
    "Tap water in the district is safe to drink again, the utility said.",
    "More from the interview will be broadcast on Sunday evening.",
    "Recommended doses of the vaccine were cut after the trial, the regulator said.",
    "Terms of the settlement were not disclosed.",
    "Privacy campaigners said the new law went too far.",
    "Advertisement spending by the ruling party doubled during the campaign.",
    "Free newsletters and a podcast helped the small paper reach new readers, its editor said.",
    "The app, which the government urged citizens to download, has been installed three million times.",
    "Officials told residents to download the app and follow the instructions it gives.",
    "Share this moment with your family, the priest told the congregation at midnight mass.",
    "Follow us, the rebels shouted to villagers as they retreated into the forest.",
    "Related to the case, police arrested a second man in Leeds on Thursday.",
    "Caption contests have become a fixture of the magazine's back page.",
    "Credit card debt in the UK reached a record £70bn in September.",
    "Comments from the chief executive suggested further job cuts were likely.",
    "Most popular among young voters was the promise to scrap tuition fees.",
    "Getting the latest figures took weeks, the statistics office admitted.",
    "Never miss a payment, the bank's letter warned, or the rate will rise.",
]

REMOVED = [
    "Subscribe to our daily newsletter for the latest headlines",
    "Sign up for free to get unlimited access to every article",
    "Download our app for breaking news alerts",
    "Share this article",
    "Facebook Twitter LinkedIn Email",
    "Follow us on Instagram and TikTok",
    "Read more: Flood defences to be reviewed after storm",
    "© 2023 Example News Ltd. All rights reserved.",
    "Copyright 2021 The Associated Press. All rights reserved.",
    "Comments (12)",
    "Leave a comment",
    "Join the conversation",
    "This article is also available in French.",
    "Photo: Jane Smith/Reuters",
    "Protesters march through the city centre on Saturday. Photograph: Alex Brown/AFP via Getty Images",
    "Workers clear debris in the town centre. (AP Photo/Mark Lennihan)",
    "Image copyright Getty Images",
    "By Sarah Jones, Political Correspondent",
    "Published 3 March 2021, 10:45 GMT",
    "Tags: economy, inflation, interest rates",
    "Advertisement",
    "Skip to main content",
    "Home > News > World",
    "Listen to this article",
    "5 min read",
    "Please consider supporting our journalism with a donation.",
    "Already a subscriber? Log in",
    "You might also like",
    "Most Read",
]


def _article(line: str, where: str) -> str:
    parts = [HEADLINE, OPENING, MIDDLE, CLOSING]
    at = {"middle": 2, "end": 4}[where]
    return "\n\n".join(parts[:at] + [line] + parts[at:]) + "\n"


@pytest.mark.parametrize("line", KEPT)
@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_sentence_that_opens_like_boilerplate_is_kept(line, where):
    cleaned = clean_text(_article(line, where))
    assert line in cleaned.text, [(r.text, r.reason) for r in cleaned.removed]
    for paragraph in (OPENING, MIDDLE, CLOSING):
        assert paragraph in cleaned.text


@pytest.mark.parametrize("line", REMOVED)
def test_a_boilerplate_line_at_the_end_is_removed_with_a_reason(line):
    cleaned = clean_text(_article(line, "end"))
    assert line not in cleaned.text
    assert [r.text for r in cleaned.removed] == [line]
    assert cleaned.removed[0].reason
    for paragraph in (HEADLINE, OPENING, MIDDLE, CLOSING):
        assert paragraph in cleaned.text


def test_a_related_list_after_the_last_paragraph_goes_with_its_heading():
    items = ["Flood defences to be reviewed after storm", "Council sets up emergency fund for families",
             "Rail services suspended between two towns"]
    cleaned = clean_text(_article("More stories\n" + "\n".join(items), "end"))
    assert {r.text for r in cleaned.removed} == {"More stories", *items}
    assert CLOSING in cleaned.text


def test_an_alt_text_keyword_line_beside_a_caption_is_removed():
    text = (f"{HEADLINE}\n\n{OPENING}\n\nthames flooding evacuation sandbags rescue\n"
            f"Residents wade through a flooded street. / Photo: Jo Baker\n\n{MIDDLE}\n\n{CLOSING}\n")
    cleaned = clean_text(text)
    assert {r.text for r in cleaned.removed} == {"thames flooding evacuation sandbags rescue",
                                                "Residents wade through a flooded street. / Photo: Jo Baker"}


@pytest.mark.parametrize(
    ("glued", "piece", "sentence"),
    [
        ("Subscribe to our newsletter Officials said on Monday that the bridge would stay closed until the end "
         "of the month.", "Subscribe to our newsletter",
         "Officials said on Monday that the bridge would stay closed until the end of the month."),
        ("Read more: Storm warnings issued across the region. The river rose another metre overnight, flooding "
         "dozens of homes near the centre.", "Read more: Storm warnings issued across the region.",
         "The river rose another metre overnight, flooding dozens of homes near the centre."),
        ("The river rose another metre overnight, flooding dozens of homes near the centre of the town. "
         "Share this article", "Share this article",
         "The river rose another metre overnight, flooding dozens of homes near the centre of the town."),
        ("Residents fill sandbags outside the church. Photo: Jo Baker/PA Insurers said claims from the flood "
         "could exceed £40m, making it one of the costliest of the decade.",
         "Residents fill sandbags outside the church. Photo: Jo Baker/PA",
         "Insurers said claims from the flood could exceed £40m, making it one of the costliest of the decade."),
    ],
)
def test_a_glued_line_loses_the_boilerplate_and_keeps_the_sentence(glued, piece, sentence):
    cleaned = clean_text(_article(glued, "middle"))
    assert sentence in cleaned.text
    assert piece not in cleaned.text
    assert [r.text for r in cleaned.removed] == [piece]
    assert "glued" in cleaned.removed[0].reason


def test_the_cue_words_of_a_glued_piece_are_found_as_the_case_blind_search_finds_them():
    """`_has_cue` tells an ASCII text by its words; it must agree with a case-insensitive search for
    the cue words between word boundaries (the pattern as first written) on every text: cue words
    inside longer words, joined by underscores or digits, in capitals, with endings, and texts
    with characters whose case folds outside ASCII (the Kelvin sign, the long s, the dotted I)."""
    import random
    import re

    from archive.clean.glued import _has_cue

    reference = re.compile(
        r"\b(photos?|images?|pictures?|credit|getty|reuters|afp|subscri\w*|newsletters?|share|read|"
        r"follow|sign|download|apps?|advert\w*|copyright|related|comments?)\b|©", re.IGNORECASE)
    words = ["photo", "Photos", "IMAGE", "pictured", "credit", "Getty", "REUTERS", "afp", "Subscribers", "subscri",
             "newsletter", "shares", "share", "reading", "read", "follow", "signed", "Sign", "download", "app", "apps",
             "apply", "advertisement", "Advert", "copyright", "related", "Comments", "comment", "sha", "the", "said"]
    joins = [" ", "", "_", "-", "2", ". ", ", ", "\n", "'s "]
    odd = ["\u212a", "\u017f", "\u0130", "\u00e9", "\u00a9", "\u0131"]
    rng = random.Random(4)
    texts = ["", "Officials said on Monday", "Read more: the report", "(Getty Images)", "Share this", "shares rose"]
    for _ in range(20_000):
        parts = [rng.choice(words) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.2:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(odd))
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(joins) + part
        texts.append(text)
    for text in texts:
        assert _has_cue(text) == bool(reference.search(text)), text
