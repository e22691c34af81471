"""The search page's state in the URL, and the query the engine runs for it.

The user's query (`q`) stays as typed; facet filters live in their own parameters
(`?q=oil&source=Daily+NK&year=2021`) and reach the archive as `Filters`, apart from the query,
so the reading of the query and its did-you-mean suggestion are about the user's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from archive.query.filters import Filters

SORTS = ("relevance", "newest", "oldest")
TIMELINE_MODES = ("count", "share")
SEARCH_MODES = ("keyword", "meaning", "hybrid")  # by words, by meaning (docs/meaning.md), or both fused
GROUPS = ("stories",)  # `group=stories`: one hit per story, stories counted (docs/related.md)
MAX_PAGE = 10_000
MAX_VALUE_CHARS = 200
# Each filter: URL parameter -> (label shown on its chip, pattern a valid value matches).
FILTERS: dict[str, tuple[str, re.Pattern[str]]] = {
    "source": ("Source", re.compile(r'[^"\x00-\x1f]{1,200}')),
    "year": ("Year", re.compile(r"\d{4}")),
    "month": ("Month", re.compile(r"\d{4}-(0[1-9]|1[0-2])")),
    "lang": ("Language", re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")),
    "tag": ("Tag", re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")),  # a researcher's tag (archive/marks/)
}


@dataclass(frozen=True)
class Chip:
    """One active filter, with the URL that removes it."""

    name: str
    label: str
    value: str
    remove_url: str


@dataclass(frozen=True)
class SearchState:
    """Everything the search page shows, as read from (and written back to) the URL."""

    q: str = ""
    page: int = 1
    sort: str = "relevance"
    timeline: str = "count"
    filters: dict[str, str] = field(default_factory=dict)
    mode: str = "keyword"
    group: str = ""  # "" lists every distinct text; "stories" one per story

    @classmethod
    def from_args(cls, args: MultiDict) -> SearchState:
        """Read the state from query parameters; ignore values that are not valid."""
        try:
            page = min(max(1, int(args.get("page", "1"))), MAX_PAGE)
        except ValueError:
            page = 1
        sort = args.get("sort", "relevance")
        timeline = args.get("timeline", "count")
        filters = {}
        for name, (_, pattern) in FILTERS.items():
            value = " ".join(args.get(name, "").split())
            if value and pattern.fullmatch(value):
                filters[name] = value
        mode = args.get("mode", "keyword")
        group = args.get("group", "")
        return cls(q=args.get("q", "").strip(), page=page, sort=sort if sort in SORTS else "relevance",
                   timeline=timeline if timeline in TIMELINE_MODES else "count", filters=filters,
                   mode=mode if mode in SEARCH_MODES else "keyword", group=group if group in GROUPS else "")

    @property
    def count(self) -> str:
        """Return what the search counts and lists once: "stories" (`group=stories`, by words) or "texts"."""
        return "stories" if self.group == "stories" and self.mode == "keyword" else "texts"

    @property
    def active(self) -> bool:
        """True when there is something to search: a query or at least one filter."""
        return bool(self.q or self.filters)

    def search_filters(self) -> Filters:
        """Return the facet filters as the archive takes them (a year and a month both hold)."""
        f = self.filters
        return Filters(sources=_given(f.get("source")), dates=_given(f.get("year"), f.get("month")),
                       langs=_given(f.get("lang")), tags=_given(f.get("tag")))

    def engine_query(self) -> str:
        """Return the search as one line of query text: the filters as clauses, then the user's query.

        What an export's rows and a citation name, and what the research pages search for.
        """
        return self.search_filters().record(self.q)

    def filter_clauses(self) -> list[str]:
        """Return the filters in the query language (source:"X", date:2021, lang:ko)."""
        return self.search_filters().clauses()

    def with_(self, **changes: Any) -> SearchState:
        """Return a copy with some fields changed; a change of query or filter goes to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)

    def with_filter(self, name: str, value: str | None) -> SearchState:
        """Return a copy with one filter set (or removed when value is None), on page 1."""
        filters = dict(self.filters)
        if value is None:
            filters.pop(name, None)
        else:
            filters[name] = value
        return self.with_(filters=filters)

    def params(self) -> dict[str, str]:
        """Return the URL parameters of this state, defaults left out, in a stable order."""
        out = {"q": self.q}
        out.update({name: self.filters[name] for name in FILTERS if name in self.filters})
        if self.sort != "relevance":
            out["sort"] = self.sort
        if self.timeline != "count":
            out["timeline"] = self.timeline
        if self.mode != "keyword":
            out["mode"] = self.mode
        if self.group:
            out["group"] = self.group
        if self.page != 1:
            out["page"] = str(self.page)
        return {k: v for k, v in out.items() if v}

    def url(self, path: str = "/search") -> str:
        """Return the URL of this state."""
        params = self.params()
        return path + ("?" + urlencode(params) if params else "")

    def chips(self) -> list[Chip]:
        """Return the active filters, each with the URL that removes it."""
        return [Chip(name, FILTERS[name][0], value, self.with_filter(name, None).url())
                for name, value in self.filters.items()]


def _given(*values: str | None) -> tuple[str, ...]:
    return tuple(v for v in values if v)
