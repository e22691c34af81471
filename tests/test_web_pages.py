"""Search page facets, filters and timeline; document view toggles; read-only; a running app sees new commits."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from archive.config import Settings
from archive.ingest import ingest


def get(client, url: str, **params) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url, query_string=params or None)
    assert response.status_code == 200, (url, params, response.status_code)
    return response.get_data(as_text=True)


def facet_links(page: str, name: str) -> dict[str, tuple[int, str]]:
    """Return value -> (count, href) of one facet's clickable values."""
    section = re.search(rf'<section class="facet" data-facet="{name}">(.*?)</section>', page, re.DOTALL).group(1)
    return {html.unescape(v): (int(n), html.unescape(href)) for href, v, n in re.findall(
        r'<a href="([^"]+)"><span class="value">([^<]*)</span> <span class="count">(\d+)</span>', section)}


def total(page: str) -> int:
    return int(re.search(r'<span id="total">([\d,]+)</span>', page).group(1).replace(",", ""))


def test_each_facet_value_filters_to_its_count(client):
    page = get(client, "/search", q="oil")
    for name in ("source", "year", "lang"):
        links = facet_links(page, name)
        assert links, name
        value, (count, href) = next(iter(links.items()))
        assert parse_qs(urlsplit(href).query) == {"q": ["oil"], name: [value]}
        assert total(get(client, href)) == count


def test_source_filter_keeps_only_that_source_and_shows_a_removable_chip(client):
    page = get(client, "/search", q="oil", source="Valley Courier")
    assert {h["source"] for h in client.get("/api/search", query_string={"q": "oil", "source": "Valley Courier"})
            .get_json()["hits"]} == {"Valley Courier"}
    chip = re.search(r'<li class="chip"><span>Source: Valley Courier</span> <a href="([^"]+)"', page)
    assert chip and html.unescape(chip.group(1)) == "/search?q=oil"
    assert '<input type="hidden" name="source" value="Valley Courier">' in page
    assert total(page) < total(get(client, "/search", q="oil"))


def test_filters_without_a_query_browse_the_archive(client):
    page = get(client, "/search", year="2021")
    assert total(page) == client.get("/api/search", query_string={"q": "date:2021"}).get_json()["total"] > 0


def timeline_titles(page: str) -> list[tuple[str, ...]]:
    return re.findall(r"<title>(\d{4}(?:-\d{2})?): (\d+) documents?(?: \(([\d.]+)% of (\d+)\))?</title>", page)


@pytest.mark.parametrize("filters", [{}, {"source": "Valley Courier"}])
def test_timeline_bars_add_up_to_the_dated_hits(client, filters):
    page = get(client, "/search", q="oil", **filters)
    facets = client.get("/api/search", query_string={"q": "oil", **filters}).get_json()["facets"]
    bars = timeline_titles(page)
    unit = "month" if len(bars[0][0]) == 7 else "year"
    assert sum(int(n) for _, n, _, _ in bars) == sum(facets[unit].values())
    assert bars[0][0] == min(facets[unit]) and bars[-1][0] == max(facets[unit])
    assert len(bars) >= len(facets[unit])  # empty months or years in between are drawn as empty bars


def test_timeline_share_divides_by_all_documents_of_each_bucket(client):
    page = get(client, "/search", q="oil", timeline="share")
    bars = [b for b in timeline_titles(page) if b[2]]
    unit = "month" if len(bars[0][0]) == 7 else "year"
    everything = client.get("/api/search", query_string={"q": "*", "limit": 0}).get_json()["facets"][unit]
    for label, n, pct, of in bars:
        assert int(of) == everything[label]
        assert float(pct) == pytest.approx(100 * int(n) / int(of), abs=0.05)


def test_query_and_filter_values_are_escaped(client):
    page = get(client, "/search", q="<b>oil</b>", source="<script>alert(1)</script>")
    assert "<script>alert" not in page and "<b>oil" not in page
    assert "Source: &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_did_you_mean_keeps_the_filters(client):
    data = client.get("/api/search", query_string={"q": "goverment", "limit": 0}).get_json()
    assert data["suggestion"] == "government"
    page = get(client, "/search", q="goverment", lang="en")
    found = re.search(r'Did you mean <a href="([^"]+)">', page)
    assert found, "the page offers no suggestion"
    query = parse_qs(urlsplit(html.unescape(found.group(1))).query)
    assert query["lang"] == ["en"] and query["q"] == ["government"]


def test_result_links_carry_the_search_back_from_the_document(client):
    page = get(client, "/search", q="oil", year="2024")
    href = html.unescape(re.search(r'<h2><a href="(/doc/[^"]+)"', page).group(1))
    doc = get(client, href)
    back = html.unescape(re.search(r'<a href="([^"]+)">‹ Back to results', doc).group(1))
    assert back == "/search?q=oil&year=2024"


def doc_with_placed_blocks(client):  # type: ignore[no-untyped-def]
    """Return a document (as JSON) whose removed blocks have known places."""
    for hit in client.get("/api/search", query_string={"q": "collection:samples", "limit": 100}).get_json()["hits"]:
        doc = client.get(f"/api/doc/{hit['id']}").get_json()
        if any(r["at"] > 0 for r in doc["removed"]):
            return doc
    raise AssertionError("no sample document has removed blocks with a place")


def test_boilerplate_toggle_shows_removed_blocks_in_place(client):
    doc = doc_with_placed_blocks(client)
    plain = get(client, f"/doc/{doc['id']}")
    assert 'class="removed-block"' not in plain
    toggle = html.unescape(re.search(r'<a id="toggle-removed" href="([^"]+)"', plain).group(1))
    shown = get(client, toggle)
    assert shown.count('class="removed-block"') == len(doc["removed"])
    block = next(r for r in doc["removed"] if r["at"] > 0)
    # The block stands after the text before its offset and before the text after it.
    text_before = doc["text"][: block["at"]]
    before = html.escape(text_before.split("\n\n")[-1].strip() or text_before.strip()[-30:])
    pos_block = shown.index(f"<del>{html.escape(block['text'])}</del>")
    assert shown.rfind(before, 0, pos_block) > 0


def test_every_endpoint_is_read_only(client):
    for path in ["/", "/search", "/api/search", "/export.csv", "/doc/0000000000000000"]:
        assert client.post(path).status_code == 405, path
        assert client.delete(path).status_code == 405, path


def test_security_headers_on_pages_api_and_downloads(client):
    for url in ["/", "/search?q=oil", "/api/search?q=oil", "/export.csv?q=oil", "/nope"]:
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"], url
        assert "unsafe-inline" not in headers["Content-Security-Policy"], url
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer", url


def test_pages_have_no_inline_script_or_style(client):
    doc_id = client.get("/api/search", query_string={"q": "oil"}).get_json()["hits"][0]["id"]
    for url in ["/search?q=oil&timeline=share", f"/doc/{doc_id}?q=oil&removed=1"]:
        page = get(client, url)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page and "<style" not in page and " on" + "click=" not in page, url


@pytest.fixture
def small_collection(tmp_path):
    """A copy of one outlet of the demo corpus, which a test may change."""
    folder = tmp_path / "gazette"
    shutil.copytree("samples/harbour-gazette", folder)
    return folder


def test_original_file_is_served_as_plain_text_by_id(make_app, small_collection, tmp_path):
    index = tmp_path / "index"
    ingest([str(small_collection)], Settings(index=index))
    client = make_app(index).test_client()
    hit = client.get("/api/search", query_string={"q": "collection:gazette", "limit": 1}).get_json()["hits"][0]
    response = client.get(f"/doc/{hit['id']}/original")
    assert response.status_code == 200
    data = response.get_data()
    response.close()  # the response holds the file open until closed, as a server would close it
    assert data == Path(hit["path"]).read_bytes()
    assert response.mimetype == "text/plain"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_original_text_file_is_served_with_its_detected_charset(make_app, tmp_path):
    src = tmp_path / "notes"
    src.mkdir()
    raw = "Caf\xe9 minutes\n\nThe caf\xe9 on the quay reopened on Monday after the repairs.\n".encode("cp1252")
    (src / "cafe.txt").write_bytes(raw)
    index = tmp_path / "index"
    ingest([str(src)], Settings(index=index))
    client = make_app(index).test_client()
    hit = client.get("/api/search", query_string={"q": "quay"}).get_json()["hits"][0]
    response = client.get(f"/doc/{hit['id']}/original")
    data = response.get_data()
    response.close()
    assert data == raw
    assert response.headers["Content-Type"] == "text/plain; charset=cp1252"


def test_original_file_is_refused_when_swapped_for_a_link_or_changed(make_app, small_collection, tmp_path):
    index = tmp_path / "index"
    ingest([str(small_collection)], Settings(index=index))
    client = make_app(index).test_client()
    hits = client.get("/api/search", query_string={"q": "collection:gazette", "limit": 2}).get_json()["hits"]
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the archive")
    linked, changed = (hit["path"] for hit in hits)
    import os

    os.remove(linked)
    os.symlink(secret, linked)
    with open(changed, "a") as f:
        f.write("\nedited after ingest\n")
    for hit in hits:
        response = client.get(f"/doc/{hit['id']}/original")
        assert response.status_code == 404
        assert b"not part of the archive" not in response.data and b"edited after" not in response.data


@pytest.mark.parametrize("path", [
    "/doc/../../etc/passwd/original", "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd/original", "/doc/..%2F..%2Fetc/original",
    "/doc/0000000000000000/original", "/doc/ffffffffffffffff/original?path=/etc/passwd", "/doc//etc/passwd",
])
def test_no_path_in_a_url_reaches_a_file(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_a_running_app_sees_documents_committed_after_it_started(make_app, tmp_path):
    index = tmp_path / "index"
    ingest(["samples/valley-courier"], Settings(index=index))
    client = make_app(index).test_client()
    before = client.get("/api/search", query_string={"q": "*"}).get_json()["total"]
    assert client.get("/api/search", query_string={"q": "Merrow"}).get_json()["total"] == 0
    ingest(["samples/harbour-gazette"], Settings(index=index))
    after = client.get("/api/search", query_string={"q": "*"}).get_json()
    assert after["total"] > before
    assert client.get("/api/search", query_string={"q": "Merrow"}).get_json()["total"] > 0
    assert "harbour-gazette" in {s.lower().replace(" ", "-") for s in after["facets"]["source"]}


def test_identical_texts_are_one_result_that_says_how_many_copies(make_app, tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    story = Path("samples/harbour-gazette/2019-03-13-port-merrow-dockers-walk-out-over-pay.txt").read_text()
    for name in ("a.txt", "b.txt", "c.txt"):
        (folder / name).write_text(story)
    index = tmp_path / "index"
    ingest([str(folder)], Settings(index=index))
    client = make_app(index).test_client()
    page = get(client, "/search", q="dockers")
    assert total(page) == 1
    assert '<span class="copies"' in page and "3 copies</span>" in page
    doc_id = re.search(r'/doc/([0-9a-f]{16})', page).group(1)
    assert "3 files have this text" in get(client, f"/doc/{doc_id}")
