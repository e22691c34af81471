"""The timeline above the results: hits per month (per year for long ranges), as data for an SVG.

The template draws the bars; this module counts and scales. In "share" mode each bar is the
hits of its month divided by all documents of that month under the same filters, so a source that
publishes more in some months does not look like a trend. Those denominators are counted once
per index commit and set of filters (`PeriodTotals`), so a page view runs its own search only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive.query.filters import Filters

if TYPE_CHECKING:
    from flask import Flask

    from archive.archive import Archive

MAX_MONTHS = 60  # longer ranges are drawn per year: 60 bars are about as many as stay readable
MAX_TICKS = 8  # axis labels: more would collide at phone width
WIDTH, HEIGHT = 600.0, 100.0  # the SVG's own units; CSS stretches it to the column's width
MIN_BAR = 2.0  # the least height of a bar that is not zero, in the same units
KEPT_TOTALS = 64  # sets of filters whose denominators are kept


@dataclass(frozen=True)
class Bar:
    """One bucket of the timeline with its position in the SVG."""

    label: str  # 2021-03 or 2021
    count: int
    total: int  # all documents of the bucket (0 when unknown)
    value: float  # what is drawn: count, or count / total in share mode
    x: float
    y: float
    width: float
    height: float
    href: str
    noun: str = "document"  # what is counted: "document", or "story" (one per story)

    @property
    def title(self) -> str:
        """Return the tooltip text of the bar."""
        docs = self.noun if self.count == 1 else _plural(self.noun)
        if self.total:
            return f"{self.label}: {self.count} {docs} ({100 * self.count / self.total:.1f}% of {self.total})"
        return f"{self.label}: {self.count} {docs}"


@dataclass(frozen=True)
class Scale:
    """The unit of a period (month or year), counts or shares, and the largest value drawn."""

    unit: str
    share: bool
    peak: float

    @property
    def peak_label(self) -> str:
        """Return the top of the scale as text."""
        return f"{100 * self.peak:.1f}%" if self.share else f"{self.peak:g}"


@dataclass(frozen=True)
class Timeline(Scale):
    """The bars of one query's timeline."""

    bars: list[Bar] = field(default_factory=list)
    noun: str = "document"

    @property
    def nouns(self) -> str:
        """Return what the bars count, plural: "documents" or "stories"."""
        return _plural(self.noun)

    @property
    def ticks(self) -> list[str]:
        """Return one axis label per bar ("" for none): years, or each January, thinned to fit.

        The first and the last bar are always labelled; the template aligns the last label to the
        right edge, so it never runs past the chart.
        """
        n = len(self.bars)
        step = -(-n // MAX_TICKS)  # bars per label, so that labels do not run into each other
        if self.unit == "year":
            labels = [b.label if i % step == 0 else "" for i, b in enumerate(self.bars)]
        else:
            labels = [b.label[:4] if b.label.endswith("-01") else "" for b in self.bars]
        labels[0] = self.bars[0].label
        for i in range(1, n - 1):  # keep clear of the first and last labels
            if i < step or n - 1 - i < step:
                labels[i] = ""
        if n > 1:
            labels[-1] = self.bars[-1].label
        return labels

    @property
    def first(self) -> str:
        return self.bars[0].label

    @property
    def last(self) -> str:
        return self.bars[-1].label


def _plural(noun: str) -> str:
    return "stories" if noun == "story" else noun + "s"


def build(facets: dict[str, dict[str, int]], totals: dict[str, dict[str, int]] | None,
          href: Callable[[str, str], str], noun: str = "document") -> Timeline | None:
    """Return the timeline of a result's month (or year) facet, or None when no hit has a date.

    :param totals: facets of all documents (same filters) for share mode, or None for counts.
    :param href: builds the link of a bar from (unit, label): a filter on that month or year.
    :param noun: what the facets count: "document", or "story" (a search with `count="stories"`).
    """
    months = facets.get("month") or {}
    if not months:
        return None
    keys = _month_range(min(months), max(months))
    unit, counts, all_counts = "month", months, (totals or {}).get("month", {})
    if len(keys) > MAX_MONTHS:
        years = facets.get("year") or {}
        keys = [str(y) for y in range(int(min(years)), int(max(years)) + 1)]
        unit, counts, all_counts = "year", years, (totals or {}).get("year", {})
    share = totals is not None
    values = [_value(counts.get(k, 0), all_counts.get(k, 0), share) for k in keys]
    peak = max(values) or 1.0
    step = WIDTH / len(keys)
    gap = min(step * 0.2, 4.0)
    bars = []
    for i, key in enumerate(keys):
        h = HEIGHT * values[i] / peak
        if values[i] > 0:
            h = max(h, MIN_BAR)  # a month with one hit must not look like a month with none
        bars.append(Bar(key, counts.get(key, 0), all_counts.get(key, 0), values[i], x=round(i * step + gap / 2, 2),
                        y=round(HEIGHT - h, 2), width=round(step - gap, 2), height=round(h, 2), href=href(unit, key),
                        noun=noun))
    return Timeline(unit, share, peak, bars, noun)


def _value(count: int, total: int, share: bool) -> float:
    if not share:
        return float(count)
    return count / total if total else 0.0


def _month_range(first: str, last: str) -> list[str]:
    """Return every month from first to last (YYYY-MM), both included."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


Facets = dict[str, dict[str, int]]


class PeriodTotals:
    """All documents per month and per year under a set of filters, kept per index commit.

    Counted by a search of the filters alone (of everything without filters) the first time a
    share-mode chart needs them; a new commit changes the engine's stamp, so counts are never
    older than the index. Safe to share between threads.
    """

    def __init__(self, kept: int = KEPT_TOTALS):
        self._kept: OrderedDict[tuple[str, Filters], Facets] = OrderedDict()
        self._size = kept
        self._lock = threading.Lock()

    def of(self, archive: Archive, filters: Filters) -> Facets:
        """Return {"month": {...}, "year": {...}}: every document's count per period under the filters."""
        key = (archive.engine.stamp(), filters)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        facets = archive.search("" if filters else "*", filters=filters, limit=0).facets
        found = {unit: facets.get(unit) or {} for unit in ("month", "year")}
        with self._lock:
            self._kept[key] = found
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return found


def period_totals(app: Flask) -> PeriodTotals:
    """Return the app's one `PeriodTotals`."""
    totals: PeriodTotals = app.extensions.setdefault("period_totals", PeriodTotals())
    return totals


# -- compared timelines: up to four queries on one chart (/timeline, /api/timeline) ------------

MAX_SERIES = 4
CHART_HEIGHT = 200.0
UNDATED = "undated"  # the period of the results without a date, so that a series sums to its total
# Colours told apart by most readers, each with its own dash pattern for those who cannot.
STYLES = (("#1f5fbf", ""), ("#c2410c", "8 4"), ("#15803d", "2 3"), ("#7e22ce", "10 3 2 3"))
# Where a series has the value of an earlier one, it is drawn this far beside it (1.5 % of the
# chart's height per earlier series), so that equal series show as parallel lines, not as one.
# The table gives the exact figures.
NUDGE = 3.0


@dataclass(frozen=True)
class Point:
    """One period of one series: matching documents, all documents (share mode), and what is drawn."""

    period: str
    count: int
    total: int
    value: float


@dataclass(frozen=True)
class Series:
    """One query's documents per period, with its total as the search reports it."""

    query: str
    total: int
    points: list[Point]  # every period of the chart, in order
    undated: int  # results without a date (counted in `total`, drawn nowhere)
    colour: str = ""
    dash: str = ""
    line: str = ""  # the SVG polyline's points

    def to_dict(self, share: bool) -> dict:
        """Return the series as `/api/timeline` gives it; the counts, undated included, sum to `total`."""
        points = [{"period": p.period, "count": p.count, **({"share": round(p.value, 6)} if share else {})}
                  for p in self.points]
        if self.undated:
            points.append({"period": UNDATED, "count": self.undated})
        return {"query": self.query, "total": self.total, "points": points}


@dataclass(frozen=True)
class Comparison(Scale):
    """The series of a compared timeline and their common periods."""

    series: list[Series] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)

    @property
    def ticks(self) -> list[str]:
        """Return the axis labels: the first and last period and a few between, thinned to fit a phone."""
        n = len(self.periods)
        step = -(-n // MAX_TICKS)
        labels = [p if i % step == 0 and (n - 1 - i >= step or i == 0) else "" for i, p in enumerate(self.periods)]
        labels[-1] = self.periods[-1]
        return labels

    def rows(self) -> list[tuple[str, list[Point]]]:
        """Return the table view: each period with the point of every series."""
        return [(period, [s.points[i] for s in self.series]) for i, period in enumerate(self.periods)]


def compare(archive: Archive, queries: list[str], filters: Filters, totals: Facets | None) -> Comparison:
    """Count each query's documents per month (per year over long ranges) under the same filters.

    :param totals: all documents per period under the filters for share mode, or None for counts.
    Raises `BadQuery` naming the query that cannot be read.
    """
    facets = [archive.search(q, filters=filters, limit=0) for q in queries]
    months = sorted({m for r in facets for m in (r.facets.get("month") or {})})
    unit, periods = "month", _month_range(months[0], months[-1]) if months else []
    if len(periods) > MAX_MONTHS:
        years = sorted({y for r in facets for y in (r.facets.get("year") or {})})
        unit, periods = "year", [str(y) for y in range(int(years[0]), int(years[-1]) + 1)]
    share = totals is not None
    all_counts = (totals or {}).get(unit, {})
    series = []
    for query, result in zip(queries, facets, strict=True):
        counts = result.facets.get(unit) or {}
        points = [Point(p, n, all_counts.get(p, 0), _value(n, all_counts.get(p, 0), share))
                  for p, n in ((p, counts.get(p, 0)) for p in periods)]
        undated = result.total - sum((result.facets.get("year") or {}).values())
        series.append(Series(query, result.total, points, max(0, undated)))
    peak = max((p.value for s in series for p in s.points), default=0.0) or 1.0
    drawn = [_drawn(s, i, peak, _same_as_earlier(series, i)) for i, s in enumerate(series)]
    return Comparison(unit, share, peak, drawn, periods)


def _same_as_earlier(series: list[Series], i: int) -> list[int]:
    """Return, per period, how many of the series before the i-th have the same value there."""
    return [sum(1 for earlier in series[:i] if earlier.points[k].value == p.value)
            for k, p in enumerate(series[i].points)]


def _drawn(series: Series, i: int, peak: float, same: list[int]) -> Series:
    """Return the series with its colour, dash pattern and polyline (x at the middle of each period).

    :param same: per period, how many series drawn before this one have its value there.
    """
    n = len(series.points)
    step = WIDTH / max(n, 1)
    xy = []
    for k, p in enumerate(series.points):
        y = CHART_HEIGHT - CHART_HEIGHT * p.value / peak
        nudge = NUDGE * same[k]
        y = y - nudge if y - nudge >= 0 else y + nudge  # beside the earlier line, inside the chart
        xy.append((round(k * step + step / 2, 2), round(y, 2)))
    if n == 1:  # one period: a level line across the chart
        xy = [(0.0, xy[0][1]), (WIDTH, xy[0][1])]
    colour, dash = STYLES[i % len(STYLES)]
    return Series(series.query, series.total, series.points, series.undated, colour, dash,
                  " ".join(f"{x},{y}" for x, y in xy))
