"""The web app through Flask's test client: pages, API, errors, escaping, headers."""

from __future__ import annotations

import re


def test_home_page_has_a_search_form(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b'name="q"' in page.data


def test_search_page_shows_total_and_highlighted_hits(client):
    page = client.get("/search", query_string={"q": '"border closes"'})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    total = client.get("/api/search", query_string={"q": '"border closes"'}).get_json()["total"]
    assert total >= 1
    assert re.search(rf'<span id="total">{total}</span>', html)
    assert "<mark>border closes</mark>" in html.lower()


def test_document_view_marks_every_hit(client):
    page = client.get("/search", query_string={"q": "Kimhyongjik"}).get_data(as_text=True)
    doc_id = re.search(r'/doc/([0-9a-f]{16})', page).group(1)
    doc = client.get(f"/doc/{doc_id}", query_string={"q": "Kimhyongjik"}).get_data(as_text=True)
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", doc)
    matched = set()
    for hit in client.get("/api/search", query_string={"q": "Kimhyongjik"}).get_json()["hits"]:
        matched.update(m.lower() for m in hit["matched"])
    assert marks and {m.lower() for m in marks} <= matched
    assert int(re.search(r'<span id="hitcount">(\d+)</span>', doc).group(1)) == len(marks)
    text_marks = re.findall(r'<mark id="hit-(\d+)">', doc)
    assert text_marks == [str(n) for n in range(1, len(text_marks) + 1)]


def test_pagination_links_keep_the_query(client):
    page = client.get("/search", query_string={"q": "the"}).get_data(as_text=True)
    assert 'rel="next"' in page
    assert "q=the" in re.search(r'rel="next" href="([^"]+)"', page).group(1)


def test_unparseable_and_odd_queries_get_a_plain_message(client):
    for q in ['"', "AND OR", "(((", "C++", "title:", "x" * 5000, "<script>alert(1)</script>"]:
        page = client.get("/search", query_string={"q": q})
        assert page.status_code == 200, q
        assert b"Traceback" not in page.data
        assert b"<script>alert" not in page.data


def test_no_results_is_a_plain_message(client):
    page = client.get("/search", query_string={"q": "zzyzxnotaword"}).get_data(as_text=True)
    assert "No documents match" in page


def test_unknown_or_malformed_document_ids_are_404(client):
    for path in ["/doc/0000000000000000", "/doc/../../etc/passwd", "/doc/%2e%2e%2fetc", "/doc/ZZZ"]:
        page = client.get(path)
        assert page.status_code == 404, path
        assert b"/etc" not in page.data and b"Traceback" not in page.data


def test_api_returns_the_cli_json_shape(client):
    data = client.get("/api/search", query_string={"q": '"border closes"'}).get_json()
    assert list(data) == ["query", "interpreted", "total", "total_exact", "partial", "offset", "limit",
                          "suggestion", "facets", "hits", "messages", "run", "result_hash"]
    assert data["total"] >= 1
    assert any(h["path"].endswith("000_94b7117b25b8d248.txt") for h in data["hits"])


def test_api_bad_query_is_400_with_a_message(client):
    response = client.get("/api/search", query_string={"q": "AND OR"})
    assert response.status_code == 400
    assert "nothing to search" in response.get_json()["error"]


def test_pages_carry_a_content_security_policy(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
