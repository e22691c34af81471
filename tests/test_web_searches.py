"""A page view runs one engine search: hits, facets, timeline and did-you-mean all come from it.

The engine's `search` and `export` are counted on a real index (the calls still run); share mode
counts its denominators once per index commit and set of filters.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from archive.config import Settings
from archive.ingest import ingest
from web.facade import get_archive


@pytest.fixture
def counted(make_app, sample_index, monkeypatch):
    """(test client, Counter of engine calls by name) on a fresh app over the sample index."""
    app = make_app(sample_index)
    calls: Counter[str] = Counter()
    with app.app_context():
        engine = get_archive().engine
    for name in ("search", "export"):
        real = getattr(engine, name)

        def counting(*args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(engine, name, counting)
    return app.test_client(), calls


def view(client, calls: Counter, url: str, **params: str) -> str:  # type: ignore[no-untyped-def]
    calls.clear()
    response = client.get(url, query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_filtered_page_with_facets_and_timeline_is_one_search(counted):
    client, calls = counted
    page = view(client, calls, "/search", q="oil", source="Valley Courier")
    assert calls == {"search": 1}
    assert 'class="timeline' in page and 'data-facet="year"' in page


def test_did_you_mean_comes_from_the_same_search_and_keeps_the_filters(counted):
    client, calls = counted
    page = view(client, calls, "/search", q="intrest rates", year="2021")
    assert calls == {"search": 1}
    link = html.unescape(re.search(r'Did you mean <a href="([^"]+)">([^<]+)</a>', page).group(1))
    assert parse_qs(urlsplit(link).query) == {"q": ["interest rates"], "year": ["2021"]}
    assert '<code class="interpreted">intrest AND rates</code>' in page


def test_share_mode_counts_its_denominators_once_per_commit_and_filters(counted):
    client, calls = counted
    view(client, calls, "/search", q="oil", lang="en", timeline="share")
    assert calls == {"search": 2}  # the first time: the filters alone are counted too
    first = view(client, calls, "/search", q="oil", lang="en", timeline="share", sort="newest")
    assert calls == {"search": 1}
    assert view(client, calls, "/search", q="prices", lang="en", timeline="share") and calls == {"search": 1}
    view(client, calls, "/search", q="oil", timeline="share")
    assert calls == {"search": 2}  # other filters, other denominators
    assert re.search(r"% of \d+\)</title>", first)


def test_share_denominators_follow_a_new_commit(make_app, tmp_path):
    index = tmp_path / "index"
    ingest(["samples/valley-courier"], Settings(index=index))
    client = make_app(index).test_client()

    def shares() -> set[str]:
        page = client.get("/search", query_string={"q": "*", "timeline": "share"}).get_data(as_text=True)
        return set(re.findall(r"\(([\d.]+)% of \d+\)</title>", page))

    assert shares() == {"100.0"}
    ingest(["samples/harbour-gazette"], Settings(index=index))
    page = client.get("/search", query_string={"q": "Merrow", "timeline": "share"}).get_data(as_text=True)
    everything = client.get("/api/search", query_string={"q": "*", "limit": 0}).get_json()["facets"]
    bars = re.findall(r"<title>(\d{4}(?:-\d{2})?): \d+ documents? \([\d.]+% of (\d+)\)</title>", page)
    assert bars and all(int(of) == everything["month" if len(label) == 7 else "year"][label] for label, of in bars)


def test_the_api_and_an_export_each_run_one_engine_call(counted):
    client, calls = counted
    data = client.get("/api/search", query_string={"q": "oil", "source": "Valley Courier"}).get_json()
    assert calls == {"search": 1} and data["query"] == "oil" and data["total"] > 0
    view(client, calls, "/export.csv", q="oil", source="Valley Courier")
    assert calls == {"export": 1}
