"""Collocations: counts near every match of the whole result set, checked against a scan of the texts."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
import scan
from clirun import invoke

from archive.query.filters import Filters
from archive.research.collocates import collocates
from archive.research.stopwords import STOP_WORDS


def _plain(word: str) -> str:
    return word[:-2] if word.endswith("'s") and len(word) > 2 else word


def _reference(word: str, documents: list, window: int, source: str = "") -> dict:  # type: ignore[type-arg]
    """Count the words within `window` words of each match, and every word, by reading the texts."""
    query = scan.Word(word)
    found = {d.content_hash: d for d in documents
             if scan.matches(query, d.title, d.text) and (not source or d.source == source)}
    near: Counter[str] = Counter()
    every: Counter[str] = Counter()
    matches = 0
    for doc in found.values():
        toks = scan.spans(doc.text)
        marks = scan.marks(query, doc.text)
        matches += len(marks)
        hit = {i for i, (_, s, e) in enumerate(toks) if any(s < me and ms < e for ms, me in marks)}
        close = set()
        for i in hit:
            close.update(j for j in range(i - window, i + window + 1) if 0 <= j < len(toks) and j not in hit)
        near.update(_plain(toks[j][0]) for j in close)
        every.update(_plain(t) for i, (t, _, _) in enumerate(toks) if i not in hit)
    return {"documents": len(found), "matches": matches, "near": near, "every": every}


def _g2(a: int, b: int, c: int, d: int) -> float:
    n = a + b + c + d
    cells = [(a, a + b, a + c), (b, a + b, b + d), (c, c + d, a + c), (d, c + d, b + d)]
    return 2 * sum(o * math.log(o / (r * k / n)) for o, r, k in cells if o)


@pytest.mark.parametrize(("word", "window"), [("oil", 5), ("border", 3), ("prices", 8)])
def test_collocate_counts_match_a_scan_of_every_result(archive, sample_documents, word, window):
    got = collocates(archive, word, window=window, limit=10_000, min_count=1, keep_stop_words=True)
    ref = _reference(word, sample_documents, window)
    assert (got.documents, got.matches) == (ref["documents"], ref["matches"]) and got.documents > 3
    w, n = sum(ref["near"].values()), sum(ref["every"].values())
    assert (got.window_words, got.text_words) == (w, n)
    attracted = {x for x, a in ref["near"].items() if a * n > w * ref["every"][x] and any(c.isalpha() for c in x)}
    assert {c.word for c in got.collocates} == attracted
    for c in got.collocates:
        a, total = ref["near"][c.word], ref["every"][c.word]
        assert (c.count, c.in_texts) == (a, total), c.word
        assert c.score == pytest.approx(_g2(a, w - a, total - a, n - w - total + a)), c.word
    scores = [c.score for c in got.collocates]
    assert scores == sorted(scores, reverse=True)


def test_collocates_leave_out_stop_words_and_rare_words_by_default(archive):
    kept = collocates(archive, "oil", min_count=1, keep_stop_words=True, limit=10_000)
    default = collocates(archive, "oil", limit=10_000)
    assert any(c.word in STOP_WORDS for c in kept.collocates)
    assert not any(c.word in STOP_WORDS for c in default.collocates)
    assert all(c.count >= 3 for c in default.collocates)
    assert [c for c in kept.collocates if c.word not in STOP_WORDS and c.count >= 3] == default.collocates


def test_collocates_follow_source_filters(archive, sample_documents):
    sources = Counter(d.source for d in sample_documents if scan.matches(scan.Word("oil"), d.title, d.text))
    source = sources.most_common(1)[0][0]
    got = collocates(archive, "oil", filters=Filters(sources=(source,)), min_count=1, keep_stop_words=True,
                     limit=10_000)
    ref = _reference("oil", sample_documents, 5, source=source)
    assert (got.documents, got.matches) == (ref["documents"], ref["matches"])
    assert {c.word: c.count for c in got.collocates} == {c.word: ref["near"][c.word] for c in got.collocates}


def test_collocates_command_prints_json_and_a_table(sample_index):
    result = invoke("collocates", "--index", str(sample_index), "--json", "--window", "4", "oil")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["window"] == 4 and data["collocates"]
    assert set(data["collocates"][0]) >= {"word", "score", "count"}
    table = invoke("collocates", "--index", str(sample_index), "oil")
    assert table.exit_code == 0 and data["collocates"][0]["word"] in table.stdout and "window 5" in table.stderr
    none = invoke("collocates", "--index", str(sample_index), "zzqxv")
    assert none.exit_code == 1
