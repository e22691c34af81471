"""Search and related documents by meaning, on a real index of BBC articles (five categories).

The meaning model is trained by the ingest itself. Rankings are checked against a reference
computed here from the stored model files with numpy alone (its own tokenizer and TF-IDF
weighting), and against the categories the articles come from.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from clirun import invoke
from indexes import build_index
from needs import BBC_TARBALL, shared_file

from archive.archive import Archive
from archive.config import Settings
from archive.documents import document_id
from archive.errors import BadQuery
from archive.query.filters import Filters

CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")
PER_CATEGORY = 50
QUERIES = {  # descriptive queries, not sentences of the articles
    "business": "company profits and shares on the stock market",
    "politics": "government ministers and the election campaign",
    "sport": "team wins the match and the coach praises players",
    "tech": "mobile phones software and the internet",
    "entertainment": "film awards and music album",
}


def _corpus(root: Path, skip: int = 0, count: int = PER_CATEGORY) -> Path:
    """Write `count` BBC articles per category (after the first `skip`) as root/<category>/NNN.txt."""
    with tarfile.open(shared_file(BBC_TARBALL)) as tar:
        for cat in CATEGORIES:
            (root / cat).mkdir(parents=True, exist_ok=True)
            for n in range(skip + 1, skip + count + 1):
                member = tar.extractfile(f"bbc/{cat}/{n:03d}.txt")
                assert member is not None
                (root / cat / f"{n:03d}.txt").write_bytes(member.read())
    return root


@pytest.fixture(scope="module")
def bbc(tmp_path_factory):
    """(index, ingest report) of 250 BBC articles, one identical copy of a tech article among them."""
    root = _corpus(tmp_path_factory.mktemp("bbc-meaning") / "news")
    shutil.copy(root / "tech" / "001.txt", root / "tech" / "copy-of-001.txt")
    index = tmp_path_factory.mktemp("bbc-meaning-ix") / "index"
    report = build_index([root], index)
    return index, report


def _reference(index: Path, text: str) -> list[tuple[str, float]]:
    """Return (hash, cosine) of every distinct text, closest first: the stored model read with numpy alone."""
    folder = index / "meaning"
    terms = json.loads((folder / "terms.json").read_text())
    weights = np.load(folder / "weights.npz")
    vectors = np.load(folder / "vectors.npy").astype(np.float64)
    hashes = [h.decode() for h in np.load(folder / "rows.npz")["hash"]]
    col = {t: i for i, t in enumerate(terms)}
    counts: dict[int, int] = {}
    for word in re.findall(r"[^\W\d_]{2,}", text.lower()):
        if word in col:
            counts[col[word]] = counts.get(col[word], 0) + 1
    tfidf = np.zeros(len(terms))
    for c, n in counts.items():
        tfidf[c] = (1 + np.log(n)) * weights["idf"][c]
    q = weights["projection"].astype(np.float64) @ (tfidf / np.linalg.norm(tfidf))
    q /= np.linalg.norm(q)
    best: dict[str, float] = {}
    for h, score in zip(hashes, vectors @ q):
        best[h] = max(best.get(h, -1.0), float(score))
    return sorted(((h, s) for h, s in best.items() if s > 0), key=lambda hs: -hs[1])


def test_ingest_trains_the_model_beside_the_index_and_says_so(bbc):
    index, report = bbc
    # Identical copies count once (BBC itself has a few).
    assert report.distinct_texts < report.documents == 251
    assert report.meaning.startswith(f"meaning model trained on {report.distinct_texts} texts")
    assert "too few" not in report.meaning
    assert json.loads((index / "last-ingest.json").read_text())["meaning"] == report.meaning
    info = json.loads((index / "meaning" / "info.json").read_text())
    assert info["documents"] == 251 and info["trained_on"] == report.distinct_texts


def test_meaning_ranking_is_the_cosine_of_the_stored_vectors(bbc):
    index, _ = bbc
    with Archive(Settings(index=index)) as archive:
        for text in QUERIES.values():
            result = archive.search(text, mode="meaning", limit=20)
            reference = _reference(index, text)
            hashes = [archive.get(h.id).content_hash for h in result.hits]  # type: ignore[union-attr]
            assert result.total == len(reference)
            assert hashes == [h for h, _ in reference[:20]]
            assert [h.score for h in result.hits] == pytest.approx([s for _, s in reference[:20]], abs=1e-3)


def test_descriptive_queries_find_their_category(bbc):
    index, _ = bbc
    with Archive(Settings(index=index)) as archive:
        for cat, text in QUERIES.items():
            keyword = archive.search(text, limit=10)
            meaning = archive.search(text, mode="meaning", limit=10)
            assert keyword.total < 10  # every word ANDed: a description finds (next to) nothing
            assert len(meaning.hits) == 10
            same = sum(h.source == cat for h in meaning.hits)
            assert same >= 7, (cat, [h.source for h in meaning.hits])


def test_filters_paging_facets_and_export_follow_the_ranking(bbc):
    index, _ = bbc
    text = QUERIES["business"]
    with Archive(Settings(index=index)) as archive:
        rank = [h for h, _ in _reference(index, text)]
        kept = Filters(sources=("politics",))
        result = archive.search(text, mode="meaning", filters=kept, limit=10, offset=10)
        politics = [h for h in rank if h in {archive.get(d).content_hash  # type: ignore[union-attr]
                                              for d, _ in archive.listing("source:politics")}]
        assert result.total == len(politics) and result.facets["source"] == {"politics": len(politics)}
        assert [archive.get(h.id).content_hash for h in result.hits] == politics[10:20]  # type: ignore[union-attr]
        assert all(h.source == "politics" for h in result.hits)
        whole = archive.search(text, mode="meaning", limit=0)
        assert sum(whole.facets["source"].values()) == whole.total == len(rank)
        exported = [h.id for h in archive.export(text, mode="meaning")]
        first = archive.search(text, mode="meaning", limit=30)
        assert exported[:30] == [h.id for h in first.hits] and len(exported) == len(rank)
        newest = archive.search(text, mode="meaning", limit=len(rank), sort="newest")
        dates = [h.date for h in newest.hits if h.date]
        assert dates == sorted(dates, reverse=True) and {h.id for h in newest.hits} == set(exported)


def test_hybrid_fuses_keyword_hits_into_the_meaning_ranking(bbc):
    index, _ = bbc
    with Archive(Settings(index=index)) as archive:
        keyword = archive.search("oil", limit=100)
        hybrid = archive.search("oil", mode="hybrid", limit=10)
        meaning = archive.search("oil", mode="meaning", limit=1000)
    assert hybrid.total == len({h.id for h in meaning.hits} | {h.id for h in keyword.hits})
    assert hybrid.hits[0].id in {h.id for h in keyword.hits[:3]} | {h.id for h in meaning.hits[:3]}


def test_similar_by_meaning_leaves_out_copies_and_finds_the_category(bbc):
    index, _ = bbc
    with Archive(Settings(index=index)) as archive:
        doc, copy = document_id("news", "tech/001.txt"), document_id("news", "tech/copy-of-001.txt")
        assert archive.get(copy) is not None
        words, related = archive.similar(doc, 10, by="meaning")  # type: ignore[misc]
        assert words and len(related) == 10
        assert doc not in {r.id for r in related} and copy not in {r.id for r in related}
        assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)
        shares = []
        for cat in CATEGORIES:
            for some, _ in archive.listing(f"source:{cat}")[:10]:
                _, near = archive.similar(some, 10, by="meaning")  # type: ignore[misc]
                shares.append(sum(r.source == cat for r in near) / len(near))
        assert sum(shares) / len(shares) >= 0.75  # neighbours share the category (a 250-text model)


def test_cli_search_and_similar_by_meaning(bbc):
    index, _ = bbc
    result = invoke("search", "--index", str(index), "--meaning", "--json", "--limit", "3",
                    QUERIES["sport"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["interpreted"] == "meaning: " + QUERIES["sport"]
    assert len(out["hits"]) == 3 and {"id", "title", "score", "snippets"} <= set(out["hits"][0])
    assert set(out["facets"]) == {"source", "year", "lang", "month"}
    doc = out["hits"][0]["id"]
    similar = invoke("similar", "--index", str(index), "--by", "meaning", "--json", "--limit", "4", doc)
    assert similar.exit_code == 0
    got = json.loads(similar.stdout)
    assert got["by"] == "meaning" and len(got["similar"]) == 4 and doc not in {r["id"] for r in got["similar"]}
    csv = invoke("search", "--index", str(index), "--meaning", "--format", "csv", QUERIES["sport"])
    assert csv.exit_code == 0 and len(csv.stdout.strip().splitlines()) == out["total"] + 1


def test_api_search_by_meaning(bbc, make_app):
    index, _ = bbc
    client = make_app(index).test_client()
    got = client.get("/api/search", query_string={"q": QUERIES["tech"], "mode": "meaning", "limit": 5,
                                                   "offset": 5, "source": "tech"})
    assert got.status_code == 200
    body = got.get_json()
    assert body["offset"] == 5 and len(body["hits"]) == 5 and all(h["source"] == "tech" for h in body["hits"])
    assert body["facets"]["source"] == {"tech": body["total"]}
    bad = client.get("/api/search", query_string={"q": "x", "mode": "telepathy"})
    assert bad.status_code == 400
    page = client.get("/search", query_string={"q": QUERIES["tech"], "mode": "meaning"}).get_data(as_text=True)
    assert 'value="meaning" selected' in page and "mode=meaning" in page  # the switch, and links keep it
    doc = body["hits"][0]["id"]
    view = client.get(f"/doc/{doc}").get_data(as_text=True)
    assert "Related by meaning" in view


def test_a_query_of_unknown_words_and_a_missing_model_say_what_to_do(bbc, tmp_path):
    index, _ = bbc
    with Archive(Settings(index=index)) as archive:
        with pytest.raises(BadQuery, match="meaning model"):
            archive.search("zzxqv qqwvz", mode="meaning")
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    shutil.rmtree(copy / "meaning")
    with Archive(Settings(index=copy)) as archive:
        with pytest.raises(BadQuery, match="archive ingest"):
            archive.search("oil", mode="meaning")
        assert archive.search("oil").total > 0  # keyword search does not need it


def test_the_demo_corpus_is_searchable_with_a_note(archive):
    result = archive.search("ferry prices", mode="meaning", limit=3)
    assert result.hits and any("too few" in m for m in result.messages)
