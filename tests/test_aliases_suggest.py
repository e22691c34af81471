"""`archive aliases suggest` and `accept`: spellings of one place grouped, look-alike places kept apart.

The corpus is written here: news items about real North and South Korean places, each place with
words of its own around it. Chongjin, Pyongsong and Rason appear in RR, MR (with and without
breves) and Hangul; Jeongju (a North Korean railway town, also written Chongju) and Cheongju (a
South Korean city of chip plants) fold to one skeleton under the romanization rules but are two
places.
"""

from __future__ import annotations

import json
import random
import tomllib
from pathlib import Path

import pytest
from clirun import invoke
from indexes import build_index

from archive.names import romanize as rz

PLACES = {  # spellings of one place -> what is said about it
    ("Chongjin", "Cheongjin", "Ch'ŏngjin"): [
        "the steel works at {} on the east coast ran short of coking coal",
        "fishing boats returned to the harbour of {} with a thin catch of squid",
        "traders in {} said the port's rail link to the steel mill had stopped",
        "the provincial capital of North Hamgyong, {}, saw its fish market closed",
        "squid and pollock prices at {} harbour rose as fishing boats stayed in port",
    ],
    ("Pyongsong", "Pyeongseong", "P'yŏngsŏng"): [
        "wholesale traders at the big market in {} raised grain prices",
        "the market town of {} north of the capital supplies merchants across South Pyongan",
        "bus services between {} and the capital were cut, stranding wholesale merchants",
        "merchants in {} said the wholesale market was patrolled by inspectors",
    ],
    ("Rason", "Raseon", "Rasŏn"): [
        "the special economic zone of {} near the Russian border opened a new pier",
        "Russian and Chinese investors in the {} zone waited for customs rules",
        "a container pier in {} handled coal shipped from the Russian railhead",
    ],
    ("Jeongju", "Chongju"): [
        "the railway junction at {} in North Pyongan was flooded by the Taeryong river",
        "collective farms around {} lost their rice harvest to floods in North Pyongan",
        "soldiers were sent to repair the rail line at {} after the river burst its banks",
    ],
    ("Cheongju",): [
        "the semiconductor plant in {} hired engineers for a new memory chip line",
        "the international airport at {} added budget flights to Jeju and Osaka",
        "a university in {} opened a research centre for battery chemistry with chipmakers",
    ],
}
HANGUL = {"청진": PLACES[("Chongjin", "Cheongjin", "Ch'ŏngjin")],
          "평성": PLACES[("Pyongsong", "Pyeongseong", "P'yŏngsŏng")],
          "라선": PLACES[("Rason", "Raseon", "Rasŏn")]}
KOREAN = ["{}의 시장에서 상인들이 가격을 올렸다.", "{} 주민들은 배급이 끊겼다고 말했다.",
          "당국은 {}에 검열단을 보냈다."]


def _corpus(root: Path) -> Path:
    rng = random.Random(7)
    (root / "news").mkdir(parents=True)
    n = 0
    for names, lines in PLACES.items():
        for name in names:
            for _ in range(3):
                chosen = rng.sample(lines, k=min(3, len(lines)))
                text = " ".join(line.format(name).capitalize() + "." for line in chosen)
                (root / "news" / f"item-{n:03d}.txt").write_text(f"Report from {name}\n\n{text}\n")
                n += 1
    for word, lines in HANGUL.items():
        text = " ".join(k.format(word) for k in KOREAN) + " " + lines[0].format("the city") + "."
        (root / "news" / f"item-{n:03d}.txt").write_text(f"{word} 소식\n\n{text}\n")
        n += 1
    return root


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = _corpus(tmp_path_factory.mktemp("places"))
    index = tmp_path_factory.mktemp("places-ix") / "index"
    build_index([root / "news"], index)
    return index


def _groups(index: Path) -> list[dict]:
    result = invoke("aliases", "suggest", "--index", str(index), "--json", env={"ARCHIVE_ALIASES": "off"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["groups"]


def _names(group: dict) -> set[str]:
    return {rz.plain(v["name"]) if not rz.is_hangul(v["name"]) else v["name"] for v in group["variants"]}


def test_romanizations_and_hangul_of_one_place_form_one_group(places):
    groups = [_names(g) for g in _groups(places)]
    assert {"chongjin", "cheongjin", "청진"} in groups
    assert {"pyongsong", "pyeongseong", "평성"} in groups
    assert {"rason", "raseon", "라선"} in groups


def test_look_alike_places_are_never_joined(places):
    for group in map(_names, _groups(places)):
        assert not ({"cheongju"} & group and {"jeongju", "chongju"} & group), group
        # each group is one of the places written above, never two
        assert sum(bool(group & {rz.plain(n) for n in names}) for names in PLACES) <= 1, group


def test_each_group_says_why_with_counts_and_example_lines(places):
    chongjin = next(g for g in _groups(places) if "청진" in _names(g))
    kinds = {e["kind"] for e in chongjin["evidence"]}
    assert "romanization" in kinds
    assert all(e["context"] >= 0.5 for e in chongjin["evidence"] if "context" in e)
    for v in chongjin["variants"]:
        assert v["count"] >= 1 and v["documents"] >= 1
        assert rz.plain(v["name"]) in rz.plain(v["example"]) or v["name"] in v["example"]


def test_romanization_tables():
    assert rz.romanize("청진", "rr") == "cheongjin" and rz.romanize("청진", "mr") == "ch'ŏngjin"
    assert rz.romanize("압록강", "rr") == "amnokgang" and rz.romanize("압록강", "mr") == "amnokkang"
    assert rz.romanize("한국어", "mr") == "hangugŏ" and rz.romanize("종로", "rr") == "jongno"
    assert rz.skeleton("Ryanggang") == rz.skeleton("Yanggang") and rz.skeleton("Pyongsong") == rz.skeleton("P'yŏngsŏng")
    assert rz.romanized("Chongjin") and not rz.romanized("Merrow")


def test_accept_adds_groups_to_the_aliases_file(places, tmp_path):
    aliases = tmp_path / "aliases.toml"
    aliases.write_text('# my names\naliases = ["Hyesan = 혜산"]\n', encoding="utf-8")
    out = invoke("aliases", "accept", "--file", str(aliases), "Chongjin = Cheongjin = 청진", "Hyesan = Hyesan-si")
    assert out.exit_code == 0, out.output
    text = aliases.read_text(encoding="utf-8")
    assert text.startswith("# my names")
    assert tomllib.loads(text)["aliases"] == ["Hyesan = 혜산 = Hyesan-si", "Chongjin = Cheongjin = 청진"]
    saved = tmp_path / "suggested.json"
    saved.write_text(json.dumps({"groups": _groups(places)}), encoding="utf-8")
    more = invoke("aliases", "accept", "--file", str(aliases), "--from-json", str(saved))
    assert more.exit_code == 0
    groups = tomllib.loads(aliases.read_text(encoding="utf-8"))["aliases"]
    assert any("평성" in g for g in groups) and sum("청진" in g for g in groups) == 1
    # the searches use them: a query for one spelling finds the others
    found = invoke("search", "--index", str(places), "--count", "Pyeongseong", env={"ARCHIVE_ALIASES": str(aliases)})
    alone = invoke("search", "--index", str(places), "--count", "Pyeongseong", env={"ARCHIVE_ALIASES": "off"})
    assert int(found.stdout) > int(alone.stdout)
