"""Rank texts by meaning: closeness of their vectors to a query's, or to another document's.

A meaning search keeps the `CANDIDATES` distinct texts closest to the query (any closeness above
zero), restricted to the texts the filters allow; its total, facets, pages and export are over
those. Hybrid ranking fuses that list with the keyword search's best hits by reciprocal rank.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archive.documents import Hit, SearchResult
from archive.engine.base import Engine
from archive.engine.common import Related
from archive.errors import BadQuery
from archive.highlight import snippets
from archive.meaning import model as mm

CANDIDATES = 1000  # texts a meaning search ranks, closest first
FUSION_K = 60  # reciprocal rank fusion: a hit at rank r adds 1 / (FUSION_K + r)
MODES = ("keyword", "meaning", "hybrid")


class Models:
    """The meaning model beside one index, loaded on first use and again whenever it is rebuilt."""

    def __init__(self, index: Path):
        self.index = Path(index)
        self._lock = threading.Lock()
        self._model: mm.Model | None = None
        self._stamp: int | None = None

    def get(self) -> mm.Model:
        """Return the current model; raise `BadQuery` with what to do when there is none."""
        try:
            stamp = (self.index / mm.FOLDER / "info.json").stat().st_mtime_ns
        except OSError:
            stamp = None
        with self._lock:
            if stamp is not None and stamp != self._stamp:
                self._model, self._stamp = mm.load(self.index), stamp
            model = self._model if stamp is not None else None
        if model is None:
            raise BadQuery("This archive has no meaning model yet: `archive ingest` trains one, "
                           "or run `archive meaning build`.")
        return model


@dataclass
class Ranked:
    """Model rows, one per distinct text, best first, with their scores."""

    rows: list[int]
    scores: list[float]


def closest(model: mm.Model, vector: np.ndarray, *, allowed: set[str] | None = None,
            leave_out: frozenset[str] | set[str] = frozenset(), limit: int = CANDIDATES) -> Ranked:
    """Return the distinct texts whose vectors are closest to `vector` (closeness above zero)."""
    if not len(model.rows) or limit <= 0:
        return Ranked([], [])
    scores = model.vectors @ vector.astype(np.float32)
    if allowed is not None or leave_out:
        scores = np.where(model.rows.kept(allowed, leave_out), scores, -1.0)
    take = min(len(scores), limit * 3 + 10)
    top = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    rows: list[int] = []
    out: list[float] = []
    seen: set[str] = set()
    for r in top:
        score = float(scores[r])
        if score <= 0 or len(rows) >= limit:
            break
        h = model.rows.hash_of(r)
        if h not in seen:
            seen.add(h)
            rows.append(int(r))
            out.append(score)
    return Ranked(rows, out)


def fuse(model: mm.Model, meaning: Ranked, keyword_ids: list[str]) -> Ranked:
    """Return the rows of a meaning ranking and a keyword ranking fused by reciprocal rank."""
    fused: dict[str, float] = {}
    first: dict[str, int] = {}
    for rank, r in enumerate(meaning.rows):
        h = model.rows.hash_of(r)
        first.setdefault(h, r)
        fused[h] = fused.get(h, 0.0) + 1.0 / (FUSION_K + rank + 1)
    for rank, doc_id in enumerate(keyword_ids):
        at = model.rows.find(doc_id)
        if at is None:
            continue
        h = model.rows.hash_of(at)
        first.setdefault(h, at)
        fused[h] = fused.get(h, 0.0) + 1.0 / (FUSION_K + rank + 1)
    order = sorted(fused, key=lambda h: -fused[h])
    return Ranked([first[h] for h in order], [round(fused[h] * FUSION_K, 6) for h in order])


def facets(model: mm.Model, rows: list[int]) -> dict[str, dict[str, int]]:
    """Return the facet counts (distinct texts per source, year, language, month) of ranked rows."""
    at = np.asarray(rows, dtype=np.int64)
    out = {}
    for name, (codes, values) in model.rows.facet_codes.items():
        picked = codes[at] if len(at) else codes[:0]
        counts = np.bincount(picked[picked >= 0], minlength=len(values))
        found = {values[i]: int(counts[i]) for i in np.flatnonzero(counts)}
        out[name] = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def ordered(model: mm.Model, ranked: Ranked, sort: str) -> Ranked:
    """Return the ranking in the order of the sort (newest and oldest by date; undated last)."""
    if sort == "relevance":
        return ranked
    pairs = list(zip(ranked.rows, ranked.scores))
    date = {p[0]: model.rows.value("date", p[0]) for p in pairs}
    dated = [p for p in pairs if date[p[0]]]
    dated.sort(key=lambda p: date[p[0]], reverse=sort == "newest")
    pairs = dated + [p for p in pairs if not date[p[0]]]
    return Ranked([p[0] for p in pairs], [p[1] for p in pairs])


def word_spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    """Return where the query's words stand in a text (to choose the passages shown)."""
    return [(m.start(), m.end()) for m in mm.TOKEN.finditer(text) if m.group().lower() in words]


def query_words(model: mm.Model, query: str) -> set[str]:
    """Return the words of a query that the model knows."""
    return {w for w in mm.TOKEN.findall(query.lower()) if w in model.column}


def hits(engine: Engine, model: mm.Model, ranked: Ranked, words: set[str], count: int) -> Iterator[Hit]:
    """Yield the hits of ranked rows, with passages around the query's words (the opening when none)."""
    for r, score in zip(ranked.rows, ranked.scores):
        doc = engine.get(model.rows[r].id)
        if doc is None:  # deleted since the model was last brought up to date
            continue
        paths = (engine.copies(doc.content_hash) if model.rows.copies(doc.content_hash) > 1 else []) or [doc.path]
        yield Hit(id=doc.id, title=doc.title, source=doc.source, collection=doc.collection, date=doc.date,
                  url=doc.url, path=doc.path, paths=paths, score=round(score, 4),
                  snippets=snippets(doc.text, word_spans(doc.text, words), count), language=doc.language,
                  relpath=doc.relpath)


def page(engine: Engine, model: mm.Model, ranked: Ranked, *, query: str, interpreted: str, limit: int,
         offset: int, with_facets: bool, snippet_count: int, notes: list[str]) -> SearchResult:
    """Return one page of a ranking as a search result: total, facets and hits."""
    window = Ranked(ranked.rows[offset:offset + limit], ranked.scores[offset:offset + limit])
    found = list(hits(engine, model, window, query_words(model, query), snippet_count)) if limit else []
    return SearchResult(query=query, interpreted=interpreted, total=len(ranked.rows), total_exact=True,
                        partial=False, offset=offset, limit=limit, hits=found,
                        facets=facets(model, ranked.rows) if with_facets else {}, messages=notes)


def query_vector(model: mm.Model, query: str) -> np.ndarray:
    """Return a query's vector; raise `BadQuery` when the model knows none of its words."""
    if not query.strip():
        raise BadQuery("A search by meaning needs some text to compare with.")
    vector = model.embed([query])[0]
    if not vector.any():
        raise BadQuery("None of these words occur in the archive often enough for the meaning model "
                       "to know them; try other words, or a keyword search.")
    return vector


def key_words(model: mm.Model, text: str, n: int = 12) -> list[str]:
    """Return a text's words with the most weight in the model (shown with related documents)."""
    cols, weights = model._weights(text)
    best = np.argsort(-weights, kind="stable")[:n]
    return [model.terms[int(cols[i])] for i in best]


def similar(engine: Engine, model: mm.Model, doc_id: str, limit: int) -> tuple[list[str], list[Related]] | None:
    """Return a document's strongest words and the documents closest in meaning, one per story.

    Its own copies and the other versions of its story (near-duplicates) are never listed.
    """
    doc = engine.get(doc_id)
    if doc is None:
        return None
    r = model.rows.find(doc_id)
    vector = model.vectors[r] if r is not None and model.rows.hash_of(r) == doc.content_hash \
        else model.embed([mm.text_of(doc)])[0]
    words = key_words(model, mm.text_of(doc))
    if limit <= 0 or not vector.any():
        return words, []
    own = engine.stories_of([doc_id]).get(doc_id, (doc.content_hash, 1))[0]
    out: list[Related] = []
    seen = {own}
    ranked = closest(model, vector, leave_out={doc.content_hash}, limit=max(limit * 3, 30))
    stories = engine.stories_of([model.rows[i].id for i in ranked.rows])
    for i, score in zip(ranked.rows, ranked.scores):
        row = model.rows[i]
        story, versions = stories.get(row.id, (row.hash, 1))
        if story in seen:
            continue
        other = engine.get(row.id)
        if other is None:
            continue
        seen.add(story)
        out.append(Related(id=other.id, title=other.title, source=other.source, date=other.date, path=other.path,
                           score=round(score, 4), story=story, versions=versions,
                           copies=model.rows.copies(other.content_hash) or 1))
        if len(out) >= limit:
            break
    return words, out


def check_mode(mode: str) -> None:
    """Raise `BadQuery` for a search mode that does not exist."""
    if mode not in MODES:
        raise BadQuery(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}")

