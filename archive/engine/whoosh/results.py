"""Run a compiled query: the exact total and facets, one page of hits, every hit for export.

Identical cleaned texts are one result (collapse on the content hash, DESIGN.md §6). Every pass
that walks the matches watches a deadline, so a query over a huge index stops with what it has
and says so (`partial`) instead of hanging the CLI or the server.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from whoosh.collectors import CollapseCollector, Collector, FilterCollector, WrappingCollector
from whoosh.searching import Searcher

from archive.documents import Hit
from archive.engine.plan import Plan
from archive.engine.spans import make_hit
from archive.engine.whoosh import accel, scores
from archive.engine.whoosh.compile import Compiled

CHECK_EVERY = 256  # matches between two looks at the clock
STORY_MARGIN = 64  # texts ranked beyond 4 a story asked for, to find one hit per story (grown if short)


class _Unmarked:
    """A plan that marks nothing: the hits of a search out of time show their opening lines."""

    body_plan = title_plan = Plan()


_UNMARKED = _Unmarked()


class OutOfTime(Exception):
    """The time budget of a search ran out."""


@dataclass
class Counted:
    """The distinct texts a query matches, counted per facet value; `complete` False on timeout."""

    total: int = 0
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    complete: bool = True
    duplicates: int = 0  # matched documents beyond one per distinct text
    docs: np.ndarray | None = None  # the matched document numbers, when counted in bulk (then complete)
    memo: dict = field(default_factory=dict)  # phrases' documents, by query id, for scoring


def count(s: Searcher, comp: Compiled, fields: tuple[str, ...], deadline: float) -> Counted:
    """Count the distinct texts (content hashes) the query matches, and per facet value, unscored."""
    t = accel.table(s)
    memo: dict = {}
    try:
        docs = accel.matching(s, comp.query, deadline, memo)
    except accel.OutOfTime:
        return _count_slowly(s, comp, fields, deadline)
    total = accel.distinct(t, docs)
    facets = {name: _labelled(s, name, accel.facet_values(t, docs, name)) for name in fields}
    return Counted(total, facets, duplicates=len(docs) - total, docs=docs, memo=memo)


def count_stories(s: Searcher, docs: np.ndarray, fields: tuple[str, ...]) -> tuple[int, dict[str, dict[str, int]]]:
    """Count the stories among matched documents (`Counted.docs`), in total and per facet value."""
    t = accel.table(s)
    t.story_codes(s)
    return (accel.distinct(t, docs, stories=True),
            {name: _labelled(s, name, accel.facet_values(t, docs, name, stories=True)) for name in fields})


def _count_slowly(s: Searcher, comp: Compiled, fields: tuple[str, ...], deadline: float) -> Counted:
    """Count what Whoosh walks before the deadline (a partial count, for a query out of time)."""
    docs: list[int] = []
    complete = True
    for i, d in enumerate(s.docs_for_query(comp.query)):
        if i % CHECK_EVERY == CHECK_EVERY - 1 and time.monotonic() > deadline:
            complete = False
            break
        docs.append(d)
    counted = tally(s, docs, fields, complete)
    counted.duplicates = len(docs) - counted.total
    return counted


def tally(s: Searcher, docs: list[int], fields: tuple[str, ...], complete: bool = True) -> Counted:
    """Count the distinct texts among matched documents, in total and per facet value."""
    t = accel.table(s)
    arr = np.asarray(sorted(set(docs)), dtype=np.int64)
    total = accel.distinct(t, arr)
    return Counted(total, facet_counts(s, arr, fields) if fields else {}, complete)


def facet_counts(s: Searcher, docnums: Iterable[int], fields: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Count distinct texts (content hashes) per facet value; values keep their stored spelling."""
    t = accel.table(s)
    docs = docnums if isinstance(docnums, np.ndarray) else np.fromiter(docnums, dtype=np.int64)
    docs = docs[t.live[docs]] if len(docs) else docs
    return {name: _labelled(s, name, accel.facet_values(t, docs, name)) for name in fields}


def _labelled(s: Searcher, name: str, counts: dict[str, int]) -> dict[str, int]:
    """Return counts keyed by label, largest first, then by label."""
    out = {_label(s, name, v): c for v, c in counts.items()}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _label(s: Searcher, name: str, value: str) -> str:
    """Return a facet value as stored (the index keeps sources lower-cased for matching)."""
    if name != "source":
        return value
    labels = accel.table(s).labels  # one lookup per value and searcher generation
    label = labels.get(value)
    if label is None:
        doc = s.document(source=value)
        labels[value] = label = doc["source_name"] if doc else value
    return label


class _Deadline(WrappingCollector):
    """Pass matches on to the collector until the clock passes a deadline."""

    def __init__(self, child: Collector, deadline: float) -> None:
        super().__init__(child)
        self.deadline = deadline

    def matches(self) -> Iterator[int]:
        for i, sub_docnum in enumerate(self.child.matches()):
            if i % CHECK_EVERY == CHECK_EVERY - 1 and time.monotonic() > self.deadline:
                raise OutOfTime
            yield sub_docnum


def ranked(s: Searcher, comp: Compiled, limit: int | None, sort: str, deadline: float, *,
           allow: set[int] | None = None, exclude: set[int] | None = None) -> tuple[list[tuple[int, float]], bool]:
    """Return (docnum, score) of the top `limit` distinct texts (all when None), and whether complete.

    This pass does not count: a scored top-N collector skips documents that cannot reach the
    top N (which makes it fast); `count` walks every match without scoring. `allow` keeps only
    those documents, `exclude` leaves those out (non-empty sets of document numbers).
    """
    kwargs: dict = {"optimize": False}
    if sort in ("newest", "oldest"):
        kwargs.update(sortedby="date", reverse=(sort == "newest"))
    # The deadline sits inside the collapse, which reads the matches through it; a filter goes
    # outside (a wrapping collector reads its child's matches, not what a filter inside lets by).
    collector = CollapseCollector(_Deadline(s.collector(limit=limit, **kwargs), deadline), "content_hash", limit=1)
    if allow or exclude:
        collector = FilterCollector(collector, allow, exclude)
    complete = True
    try:
        s.search_with_collector(comp.query, collector)
    except OutOfTime:
        complete = False
    results = collector.results()
    out = []
    for i in range(results.scored_length()):
        score = results.score(i)  # a sort key, not a score, when sorted by date
        out.append((results.docnum(i), float(score) if isinstance(score, (int, float)) else 0.0))
    return out, complete


def best(s: Searcher, comp: Compiled, limit: int | None, sort: str, deadline: float,
         memo: dict | None = None, first: np.ndarray | None = None,
         known: np.ndarray | None = None, key: np.ndarray | None = None) -> tuple[list[tuple[int, float]], bool]:
    """Return (docnum, score) of the top `limit` distinct texts (all when None), and whether complete.

    By relevance, the whole query is scored with numpy when every part of it can be
    (`scores.py`); otherwise, and for date order, Whoosh ranks it (`ranked`). `first` (sorted
    document numbers: those holding the query as written, before aliases) rank above the
    other matches by relevance, each group in score order: `김정은` lists the text that holds
    김정은 before those that only say "Kim Jong Un", however the scores compare. `known`: the
    query's matching documents, when just counted in bulk (`Counted.docs`). `key` (a code per
    document number, `Table.story_codes`) keeps the first document of each code: one per story.
    """
    if sort == "relevance":
        t = accel.table(s)
        scored = scores.score(s, t, comp.query, memo, known)
        if scored is not None:
            return scores.top(t, scored, limit, first, key), True
    early = set(first.tolist()) if sort == "relevance" and first is not None and len(first) else None

    def whoosh(n: int | None) -> tuple[list[tuple[int, float]], bool]:
        if early is not None:
            return _first_then_rest(s, comp, n, deadline, early)
        return ranked(s, comp, n, sort, deadline)

    if key is None:
        return whoosh(limit)
    # Whoosh collapses on the text; the first of each story come from a longer list of texts,
    # made longer until it holds `limit` stories or every match.
    n = None if limit is None else 4 * limit + STORY_MARGIN
    while True:
        top, complete = whoosh(n)
        got = [top[i] for i in scores.firsts(key[[d for d, _ in top]])[:limit]] if top else []
        if n is None or len(top) < n or (limit is not None and len(got) >= limit) or not complete:
            return got, complete
        n *= 8


def _first_then_rest(s: Searcher, comp: Compiled, limit: int | None, deadline: float,
                     first: set[int]) -> tuple[list[tuple[int, float]], bool]:
    """Rank the `first` documents, then the others, with Whoosh (a text's copies all hold the same words)."""
    top, complete = ranked(s, comp, limit, "relevance", deadline, allow=first)
    if limit is not None and len(top) >= limit:
        return top, complete
    rest, done = ranked(s, comp, None if limit is None else limit - len(top), "relevance", deadline, exclude=first)
    return top + rest, complete and done


def make_hits(s: Searcher, comp: Compiled, ranked_docs: Iterable[tuple[int, float]], count: int,
              deadline: float = float("inf"), late: list[str] | None = None) -> Iterator[Hit]:
    """Yield a Hit, with snippets and matched variants, for each (docnum, score).

    Past the deadline, hits get the opening of their text instead of marked snippets, and their
    ids are added to `late` (the result is then partial).
    """
    t = accel.table(s)
    for docnum, score in ranked_docs:
        if time.monotonic() > deadline:
            if late is not None:
                late.append(str(docnum))
            count = 0
        f = s.stored_fields(docnum)
        paths = [f["path"]]
        if t.copies[t.hash[docnum]] > 1:  # only texts with copies need a lookup of their paths
            paths = sorted(c["path"] for c in s.documents(content_hash=f["content_hash"])) or paths
        yield make_hit(f, score, paths, comp, count) if count else make_hit(f, score, paths, _UNMARKED, 1)
