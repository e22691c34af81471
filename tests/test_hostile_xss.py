"""XSS: payloads in titles, bodies, URLs, metadata and queries never run and never become markup.

Documents carrying payloads are ingested into their own index, served by waitress on loopback and
rendered in Chromium; every payload sets `window.__xss` or opens a dialog if it runs.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import pytest
from indexes import build_index

from archive.config import Settings

PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    "<svg onload=window.__xss=1>",
    '"><img src=x onerror=window.__xss=1>',
    "'><svg/onload=window.__xss=1>",
    "<a href=javascript:window.__xss=1>click</a>",
    "<iframe srcdoc='<script>parent.__xss=1</script>'>",
    "</textarea><script>window.__xss=1</script>",
    "<scr<script>ipt>window.__xss=1</script>",
    "<mark>oil</mark><img src=x onerror=window.__xss=1>",
    "&lt;img src=x onerror=window.__xss=1&gt;",
    "<style>@import 'javascript:window.__xss=1'</style>",
    "<<script>script>window.__xss=1<</script>/script>",
]


def _text_doc(i: int, payload: str) -> str:
    return (f"Oil report {payload} number {i}\n\n"
            f"Oil prices rose {payload} while markets watched the oil prices closely and traders "
            f"said the payload {payload} was in the middle of the text about oil.\n")


def _html_doc(i: int, payload: str) -> str:
    attr = escape(payload, quote=True)
    body = escape(payload)
    return f"""<!doctype html><html lang="en"><head><title>Oil {body} page {i}</title>
<meta property="og:title" content="Oil {attr} headline {i}">
<meta property="og:site_name" content="Site {attr}">
<link rel="canonical" href="javascript:window.__xss=1">
<meta property="article:published_time" content="2021-05-0{i % 9 + 1}">
</head><body><article><h1>Oil {body}</h1>
<p>Oil prices climbed again today as the payload {body} appeared inside the article text, and analysts
said the oil prices would stay high for the rest of the year because supply remained tight.</p>
<p>A second paragraph about oil prices with {body} inside it, long enough to count as article text for
any extractor that looks at paragraph length and punctuation density.</p></article></body></html>"""


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory):
    src = tmp_path_factory.mktemp("xss") / "hostile"
    src.mkdir()
    for i, payload in enumerate(PAYLOADS):
        (src / f"t{i:02d}.txt").write_text(_text_doc(i, payload), encoding="utf-8")
        (src / f"h{i:02d}.html").write_text(_html_doc(i, payload), encoding="utf-8")
    index = tmp_path_factory.mktemp("xss-ix") / "index"
    build_index([src], index)

    from serving import serve, stop

    host, server, app = serve(Settings(index=index))
    yield f"http://{host}", app
    stop(server)
    if app.extensions.get("archive"):
        app.extensions["archive"].close()


def _assert_inert(page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x], svg[onload], iframe, article script, main script").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0


@pytest.mark.browser
def test_payloads_in_documents_and_queries_never_run(browser, xss_server):
    base, app = xss_server
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tried = 0
    for query in ["oil", '"oil prices"', "payload", "script", "img onerror", *PAYLOADS]:
        response = page.goto(f"{base}/search?q={quote(query)}")
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        _assert_inert(page)
        tried += 1
    hrefs = page.goto(f"{base}/search?q=oil").ok and page.locator("ol.hits a[href^='/doc/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    for href in {h.split("?")[0] for h in hrefs}:
        for query in ["oil", "script", PAYLOADS[1]]:
            page.goto(f"{base}{href}?q={quote(query)}")
            _assert_inert(page)
            tried += 1
    context.close()
    assert not dialogs
    assert tried > 20


def test_api_returns_payloads_as_data_not_markup(xss_server):
    base, app = xss_server
    client = app.test_client()
    data = client.get("/api/search", query_string={"q": "payload", "limit": 50}).get_json()
    assert data["total"] > 0
    for hit in data["hits"]:
        for snippet in hit["snippets"]:
            # Snippets are HTML: the only tags in them are our <mark> pairs.
            assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
