"""The query language on a real index of the demo corpus and the seeds (issue 5)."""

from __future__ import annotations

import json
import re

import pytest
from clirun import invoke as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.archive import Archive
from archive.config import Settings
from archive.errors import BadQuery
from archive.render import snippet_html

TENSORANE = "2023-11-14-tensorane-ai-chip-startup-closes-210-million-round.html"  # "Series C", no C++
SEED_DAILYNK = "003_5c2cc82df57d3438.txt"  # Kimhyongjik, Kimhyongjok and Huchang


def names(result) -> set[str]:
    return {h.path.rsplit("/", 1)[1] for h in result.hits}


def marks(result) -> list[str]:
    return [m for h in result.hits for s in h.snippets for m in re.findall(r"<mark>(.*?)</mark>", snippet_html(s))]


ODD = ["C++", "C#", "F#", "U.S.", "3.5%", "e-mail", '"', "AND OR", "(((", ")))", "title:", "title:(", "x" * 5000,
       '"~', ":", "-", "*", "**", "~2", "NOT NOT", "\\", "&", "<script>", "a\u0000b", "date:", "date:2099..1999",
       "source:", '"" OR ""', "(a OR)", "OR OR OR", "*~2", "econom**", "‘quoted’", "—", "🙂", "title:title:x"]


@pytest.mark.parametrize("query", ODD)
def test_odd_query_returns_results_or_a_plain_message(archive, query):
    try:
        result = archive.search(query)
    except BadQuery as exc:
        assert str(exc)
    else:
        assert result.total >= 0 and result.interpreted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet='ab "()*~:-+.^%&\\ORNDTitle:\u2019\u201c김', max_size=40))
def test_any_query_returns_results_or_a_plain_message(archive, query):
    try:
        archive.search(query, limit=2, facets=False)
    except BadQuery as exc:
        assert str(exc)


def test_programming_languages_are_words_not_letters(archive):
    cpp = archive.search("C++", limit=10)
    assert cpp.total >= 1 and TENSORANE not in names(cpp)
    assert all(m == "C++" for m in marks(cpp))
    assert TENSORANE in names(archive.search('"Series C"'))
    assert archive.search("C#").total == 0  # no document mentions it: not every lone "c"


def test_field_with_no_value_is_a_note_not_a_search(archive):
    with pytest.raises(BadQuery, match="'title:' with no value"):
        archive.search("title:")
    result = archive.search("title: border")
    assert "'title:' with no value after it was ignored" in result.messages
    assert result.interpreted == "border"


def test_field_applies_to_a_group(archive):
    grouped = archive.search("title:(hyesan OR semiconductor)", aliases=False)
    assert grouped.total == archive.search("title:hyesan OR title:semiconductor", aliases=False).total > 0


def test_negated_phrase(archive):
    both = archive.search('"oil prices"').total
    without = archive.search('"oil prices" -"red sea"')
    assert without.interpreted == '"oil prices" AND NOT "red sea"'
    assert 0 < without.total < both


@pytest.mark.parametrize("query", ["Korea’s", "Korea's", "Koreas", "KOREA'S", "korea‘s"])
def test_apostrophe_forms_match_alike(archive, query):
    assert archive.search(query).total == archive.search("Koreas").total > 0


def test_hyphenated_name_finds_the_spaced_name(archive):
    spaced = archive.search('"Kim Jong Un"', aliases=False)
    hyphen = archive.search('"Kim Jong-un"', aliases=False)
    assert hyphen.total == spaced.total > 0
    assert archive.search("Kim Jong-un", aliases=False).total >= spaced.total


def test_quoted_words_are_not_stemmed(archive):
    assert archive.search('"interest rates"').total < archive.search("interest rates").total
    assert archive.search('"border closes"').total < archive.search("border closes").total


def test_aliases_expand_and_each_hit_says_which_variant_matched(archive):
    plain = archive.search("Huchang", aliases=False)
    expanded = archive.search("Huchang", limit=20)
    assert names(plain) == {SEED_DAILYNK}
    assert expanded.total > plain.total and "Kimhyongjik" in expanded.interpreted
    seed = next(h for h in expanded.hits if h.path.endswith(SEED_DAILYNK))
    assert {"Huchang", "Kimhyongjik", "Kimhyongjok"} <= set(seed.matched)
    marked = {m for s in seed.snippets for m in re.findall(r"<mark>(.*?)</mark>", snippet_html(s))}
    assert {"Kimhyongjik", "Kimhyongjok", "Huchang"} <= marked
    variants = {"Huchang", "Kimhyongjik", "Kimhyongjok", "Kim Hyong Jik", "김형직"}
    assert all(set(h.matched) & variants for h in expanded.hits)


def test_aliases_find_a_korean_name_from_its_romanisation(archive):
    korean = archive.search("김정은", aliases=False)
    romanised = archive.search('"Kim Jong Un"', limit=20)
    assert korean.total > 0 and names(korean) <= names(romanised)
    assert any("김정은" in h.matched for h in romanised.hits)


def test_aliases_file_is_configurable(sample_index, tmp_path):
    file = tmp_path / "aliases.toml"
    file.write_text('aliases = ["semiconductor = chip", ["Merrow", "Port Merrow", "Harbour City"]]\n', encoding="utf-8")
    with Archive(Settings(index=sample_index, aliases=str(file))) as a:
        assert a.search("semiconductor").interpreted == "semiconductor OR chip"
        assert a.search("Huchang").interpreted == "Huchang"  # the shipped sample is not used
    with Archive(Settings(index=sample_index, aliases="off")) as a:
        assert a.search("Huchang").interpreted == "Huchang"


def test_proximity_matches_within_n_words_and_marks_the_whole_passage(archive):
    near = archive.search('"border trade"~3', limit=20)
    assert near.total > archive.search('"border trade"').total
    for m in marks(near):
        words = re.findall(r"\w+", m.lower())
        assert words[0] == "border" and words[-1] == "trade" and len(words) <= 5, m


def test_fuzzy_and_prefix_expansions_are_marked_and_listed(archive):
    fuzzy = archive.search("goverment~", limit=5)
    assert fuzzy.total > 0 and all("government" in h.matched or "governments" in h.matched for h in fuzzy.hits)
    assert {m.lower() for m in marks(fuzzy)} <= {"government", "governments"}
    prefix = archive.search("econom*", limit=5)
    assert {m.lower()[:6] for m in marks(prefix)} == {"econom"}


def test_wide_prefix_is_capped_and_marked_partial(archive):
    result = archive.search("a*")
    assert result.partial and any("most common were used" in m for m in result.messages)


def test_dates_filter_and_sorts_order(archive):
    year = archive.search("date:2021", limit=50)
    assert year.total > 0 and all(h.date.startswith("2021") for h in year.hits)
    since = archive.search("date:>=2024 oil", limit=50)
    assert all(h.date >= "2024-01-01" for h in since.hits)
    span = archive.search("date:2020-01-01..2020-06-30", limit=50)
    assert all("2020-01-01" <= h.date <= "2020-06-30" for h in span.hits) and span.total > 0
    newest = [h.date for h in archive.search("oil", sort="newest", limit=50).hits]
    oldest = [h.date for h in archive.search("oil", sort="oldest", limit=50).hits]
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest) and len(newest) > 3


def test_facets_cover_the_whole_result_set(archive):
    result = archive.search("border", limit=1)
    assert sum(result.facets["source"].values()) == result.total > 1
    assert sum(result.facets["year"].values()) == result.total
    assert {"ko", "en"} <= set(archive.search("Hyesan", limit=1).facets["lang"])  # 혜산 via the aliases


def test_korean_words_inside_runs(archive):
    for word in ("혜산", "수출", "반도체", "장마당"):
        assert archive.search(word, aliases=False).total >= 1, word
    assert archive.search("lang:ko").total == 2


def test_did_you_mean_corrects_from_the_index_vocabulary(archive):
    assert archive.search("intrest rates").suggestion == "interest rates"
    assert archive.search('"oil pricess"').suggestion == '"oil prices"'
    assert archive.search("title:hyesn").suggestion == "title:hyesan"
    assert archive.search("interest rates").suggestion is None
    assert archive.search("résumé").suggestion is None  # found through its other forms


def test_did_you_mean_never_rewrites_a_regex(archive):
    # A pattern is not a misspelt word: neither a valid nor an invalid one is "corrected".
    assert archive.search("/colou?r/").suggestion is None
    assert archive.search("/colo(u?r/").suggestion is None
    assert archive.search("intrest /colou?r/").suggestion == "interest /colou?r/"
    assert archive.search("/intrest/ intrest").suggestion == "/intrest/ interest"


def test_pagination_reaches_every_result(archive):
    total = archive.search("*", limit=0).total
    seen = [h.id for off in range(0, total, 4) for h in archive.search("*", limit=4, offset=off).hits]
    assert len(seen) == len(set(seen)) == total


def test_cli_count_and_no_aliases(sample_index):
    with_aliases = run("search", "--index", str(sample_index), "--count", "Huchang")
    without = run("search", "--index", str(sample_index), "--count", "--no-aliases", "Huchang")
    assert with_aliases.exit_code == 0 and without.exit_code == 0, with_aliases.output
    assert int(with_aliases.stdout) > int(without.stdout) == 1


def test_cli_did_you_mean_on_stderr_and_exit_1(sample_index):
    result = run("search", "--index", str(sample_index), "intrest rates")
    assert result.exit_code == 1
    assert "Did you mean: interest rates" in result.stderr


def test_cli_jsonl_export_streams_every_result(sample_index):
    total = int(run("search", "--index", str(sample_index), "--count", "the").stdout)
    out = run("search", "--index", str(sample_index), "--format", "jsonl", "the")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len({r["id"] for r in rows}) == total > 20
    assert all("<mark>" not in r["snippet"] for r in rows)


def test_title_matches_rank_first(archive):
    hits = archive.search("semiconductor", limit=10).hits
    in_title = ["semiconductor" in h.title.lower() for h in hits]
    assert in_title[:2] == [True, True] and not any(in_title[2:])
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_aliases_path_in_config_is_relative_to_the_config_file(tmp_path, monkeypatch):
    from archive.config import load

    monkeypatch.delenv("ARCHIVE_ALIASES", raising=False)  # the environment would name the demo's
    (tmp_path / "archive.toml").write_text('aliases = "names.toml"\n', encoding="utf-8")
    assert load(tmp_path / "archive.toml").aliases == str(tmp_path / "names.toml")


def test_unreadable_aliases_file_is_a_plain_error(sample_index, tmp_path):
    from archive.errors import ArchiveError

    bad = tmp_path / "aliases.toml"
    bad.write_text("aliases = [1, 2]\n", encoding="utf-8")
    with Archive(Settings(index=sample_index, aliases=str(bad))) as a, pytest.raises(ArchiveError, match="alias group"):
        a.search("oil")
    with Archive(Settings(index=sample_index, aliases=str(tmp_path / "missing.toml"))) as a:
        with pytest.raises(ArchiveError, match="Cannot read the aliases file"):
            a.search("oil")


def test_fuzzy_distance_follows_word_length(archive):
    result = archive.search("trade~2")
    assert "'trade~2': a word of 5 letters allows at most 1 edit" in result.messages
    assert result.total == archive.search("trade~1").total


def test_very_long_phrase_is_cut_with_a_note(archive):
    result = archive.search('"' + "oil prices " * 100 + '"')
    assert "only the first 64 words of a phrase were used" in result.messages and result.total == 0
