"""Hand-made cases of boilerplate kinds beyond the seeds, and content that must survive them."""

from __future__ import annotations

import pytest

from archive.clean import clean_text
from archive.ingest.extract import extract_file

BODY = "The union and the port authority met on Monday to resume talks over pay and hours."

# An article around the line under test: paragraphs of the length news paragraphs have.
MARKETS_OPENING = ("Traders said the session was the busiest in a decade, with volumes at twice the usual "
                   "level as investors sold shares in banks and property companies.")
MARKETS_CLOSING = ("The index closed lower after a late rally faded, leaving the main board down 2.3 per cent "
                   "on the week and at its lowest level since March.")


def _removed(line: str, before: bool = False) -> list[tuple[str, str]]:
    text = f"Port talks resume\n\n{line}\n\n{BODY}\n" if before else f"Port talks resume\n\n{BODY}\n\n{line}\n"
    cleaned = clean_text(text, model=None)
    assert BODY in cleaned.text
    return [(r.text, r.reason) for r in cleaned.removed]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Published: Wednesday 13 March 2019, 4:12pm", "date line"),
        ("Posted on 12 May 2019 by Sam Pritchard, Sports Reporter", "date line"),
        ("Posted : 2019-12-03 14:22 | Updated : 2019-12-03 14:59", "date line"),
        ("입력 2021.08.18 10:32 | 수정 2021.08.18 11:05", "date line"),
        ("Updated 9:41 a.m. ET, Tue March 3, 2020", "date line"),
        ("April 21, 2022", "date line"),
        ("By Elin Sandvik | Economics Correspondent", "byline"),
        ("By Marcus Webb · June 2, 2022", "byline"),
        ("박지원 기자 jwpark@paper.example", "byline"),
        ("Governor Anders Holm at Thursday's press conference. Photo: Nordpress/Anna Veil", "photo caption"),
        ("The Yalu River seen from Changbai, with Hyesan on the far bank. / SER photo", "photo caption"),
        ("압록강 건너편 혜산 시내. /사진=서울경제리뷰 DB", "photo caption"),
        ("A warehouse cart on the company's test floor. (Courtesy of Quillfin)", "photo caption"),
    ],
)
def test_header_and_caption_kinds_are_removed_at_the_top(line, reason):
    assert _removed(line, before=True) == [(line, reason)]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Never miss a story — download the Valley Courier app to stay updated!", "promo: app download"),
        ("Get the TechWire Daily newsletter — the day's biggest tech stories, in your inbox.",
         "promo: newsletter or subscription"),
        ("Never miss the latest news by signing up to our newsletter today!", "promo: newsletter or subscription"),
        ("For the latest stories and breaking news updates download the Nationnews apps for iOS and Android.",
         "promo: app download"),
        ("PC Gamer Newsletter", "promo: newsletter or subscription"),
        ("Join now for unlimited access to every article", "promo: newsletter or subscription"),
        ("More from Harbour Gazette", "promo: read more link"),
        ("Recommended for you", "promo: read more link"),
        ("▶ 서울경제리뷰 앱 다운로드하고 최신 뉴스 받아보기", "promo: app download or subscription (Korean)"),
        ("Like the Valley Courier on Facebook and follow @ValleyCourier on Twitter", "share/follow buttons"),
        ("Follow TechWire Daily on X, LinkedIn and Threads", "share/follow buttons"),
        ("Share on Facebook Share on X Share on LinkedIn Copy link", "share/follow buttons"),
        ("카카오톡 페이스북 트위터 링크복사", "share/follow buttons"),
        ("Got a story? E-mail news@courier.example or call 01632 960 412", "contact line: news tips"),
        ("We want to hear what you think about this article. Submit a letter to the editor.",
         "promo: letters and feedback"),
        ("This post contains references to products from one or more of our advertisers.",
         "disclosure: affiliate or sponsored"),
        ("ⓒ 서울경제리뷰, 무단 전재 및 재배포 금지", "copyright notice"),
        ("Copyright © Seoul Economic Review. All rights reserved.", "copyright notice"),
        ("관련 기사: 메모리 감산 효과 언제쯤", "promo: read more link"),
    ],
)
def test_footer_kinds_are_removed_at_the_end(line, reason):
    assert _removed(line) == [(line, reason)]


@pytest.mark.parametrize(
    ("heading", "items"),
    [
        ("Related:", ["Merrow Terminals reports record container volumes", "Kelsey Bay expansion plans approved"]),
        ("Related stories", ["• Memory safety is having a moment. Here's why", "• Static analysis tools compared"]),
        ("관련 기사", ["- 북한, 국경 연선에 철조망 추가 설치… 주민 접근 통제", "- [분석] 북중 무역 급감"]),
    ],
)
def test_related_list_at_the_end_is_removed_with_its_items(heading, items):
    text = f"Port talks resume\n\n{BODY}\n\n{heading}\n" + "\n".join(items) + "\n"
    cleaned = clean_text(text, model=None)
    assert [(r.text, r.reason) for r in cleaned.removed] == [(x, "related links list") for x in [heading, *items]]


def test_related_heading_followed_by_prose_keeps_the_prose():
    prose = ("Related talks in the neighbouring port broke down last week, and the union said it would not "
             "accept a deal that left crane drivers worse off than their colleagues along the coast.")
    text = f"Port talks resume\n\n{BODY}\n\nRelated:\n\n{prose}\n"
    cleaned = clean_text(text, model=None)
    assert prose in cleaned.text


def test_tag_line_beside_a_caption_is_removed_without_proper_noun_evidence():
    text = (f"Port talks resume\n\n{BODY}\n\ncranes quay lorries queue pickets\n"
            "Pickets at the gate on Monday. Photo: Staff/Ann Lee\n\nTalks continue on Friday, officials said.\n")
    reasons = {r.text: r.reason for r in clean_text(text, model=None).removed}
    assert reasons == {"cranes quay lorries queue pickets": "image tag list",
                       "Pickets at the gate on Monday. Photo: Staff/Ann Lee": "photo caption"}


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell 3% on Monday, the steepest drop this year.",
        "Subscribers can expect higher prices next year, the company said.",
        "Photo finish in the county derby",
        "Follow the money",
        "Published works",
        "By the numbers",
        "Download speeds doubled after the upgrade, the regulator said.",
        "The meeting is on 21 April 2022 at the town hall.",
        "Related party transactions rose sharply.",
        "jane.doe.mp@parliament.example",  # a list of addresses can be the article itself
        "By Monday, the strike had ended and dockers were back at work",
        "By Friday the port was working normally again.",
        "By Anna Lee's own account, the talks were close to collapse.",
        "Recommended daily salt intake was cut by the agency on Tuesday.",
        "Users were told to download the government's contact-tracing app by Friday.",
        "Copyright law changes were approved by parliament on Tuesday.",
        "The rise of the newsletter",
        "Join the queue for tickets now open",
        "Date night ideas for 2024",
        "Written by Shakespeare in 1600, the play still draws crowds.",
    ],
)
def test_content_that_resembles_boilerplate_is_kept(line):
    text = f"Markets in turmoil\n\n{MARKETS_OPENING}\n\n{line}\n\n{MARKETS_CLOSING}"
    cleaned = clean_text(text)
    assert line in cleaned.text, cleaned.removed
    assert cleaned.removed == []


def test_date_line_gives_the_document_date(tmp_path):
    path = tmp_path / "talks.txt"
    path.write_text(f"Port talks resume\nPublished: Wednesday 13 March 2019, 4:12pm\n{BODY}\n", encoding="utf-8")
    doc = extract_file(path, collection="c", root=tmp_path)
    assert (doc.date, doc.date_source) == ("2019-03-13", "text")
    assert ("Published: Wednesday 13 March 2019, 4:12pm", "date line") in [(r.text, r.reason) for r in doc.removed]


@pytest.mark.parametrize(
    ("signoff", "source"),
    [
        ("© 2024 Harbour Gazette. All rights reserved.", "Harbour Gazette"),
        ("© The Northern Ledger. All rights reserved.", "The Northern Ledger"),
        ("Download the TechWire Daily app to stay updated!", "TechWire Daily"),
        ("ⓒ 서울경제리뷰, 무단 전재 및 재배포 금지", "서울경제리뷰"),
    ],
)
def test_source_is_read_from_the_sign_off(tmp_path, signoff, source):
    path = tmp_path / "folder" / "talks.txt"
    path.parent.mkdir()
    path.write_text(f"Port talks resume\n\n{BODY}\n\n{signoff}\n", encoding="utf-8")
    assert extract_file(path, collection="c", root=tmp_path).source == source


def test_source_falls_back_to_the_folder(tmp_path):
    path = tmp_path / "harbour" / "talks.txt"
    path.parent.mkdir()
    path.write_text(f"Port talks resume\n\n{BODY}\n", encoding="utf-8")
    assert extract_file(path, collection="c", root=tmp_path).source == "harbour"


def test_title_is_the_first_sentence_when_the_first_line_is_prose(tmp_path):
    path = tmp_path / "talks.txt"
    path.write_text(f"{BODY} Both sides said progress was made.\n\nTalks continue on Friday.\n", encoding="utf-8")
    assert extract_file(path, collection="c", root=tmp_path).title == BODY
