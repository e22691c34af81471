"""No request can hang the server: work per request is bounded, however large a document is.

A report of a few megabytes with a common word tens of thousands of times used to take minutes
per search (snippet selection compared every hit with every later hit), holding a worker thread
of the server. The tests serve a real index on loopback and ask for that report in every way a
user can (search page, API, export, concordance, document view, related documents) while
ordinary searches must keep answering.
"""

from __future__ import annotations

import threading
import time

import pytest
import serving as http
from clirun import run
from serving import serve, stop

from archive.config import Settings
from archive.highlight import MAX_SNIPPET_SPANS, snippets
from archive.ingest import ingest
from archive.render import snippet_html

WORDS = "the border trade river market guards report said on monday".split()
HITS = 90_000  # "smuggling" this many times in one report


def _huge_text() -> str:
    words = []
    for i in range(HITS * 7):
        words.append("smuggling" if i % 7 == 0 else WORDS[(i * 31 + i // 7) % len(WORDS)])
    return "Annual smuggling report\n\n" + " ".join(words) + "\n"


@pytest.fixture(scope="module")
def huge_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("huge")
    folder = root / "reports"
    folder.mkdir()
    (folder / "huge.txt").write_text(_huge_text())
    for n in range(5):
        (folder / f"note{n}.txt").write_text(f"Lighthouse note {n}\n\nThe lighthouse keeper logged ship number {n}.\n")
    index = root / "index"
    report = ingest([str(folder)], Settings(index=index))
    assert report.added == 6, report.summary()
    return index


def test_snippets_of_many_spans_take_linear_work():
    text = "smuggling the " * 200_000
    spans = [(i * 14, i * 14 + 9) for i in range(200_000)]
    out = snippets(text, spans, 3)
    assert len(out) == 3 and all("<mark>smuggling</mark>" in snippet_html(s) for s in out)
    assert MAX_SNIPPET_SPANS < len(spans)


def test_cli_search_over_a_huge_report_answers_with_snippets(huge_index):
    done = run("search", "smuggling", index=huge_index, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Annual smuggling report" in done.stdout and "[[smuggling]]" in done.stdout


def test_server_answers_ordinary_searches_while_huge_requests_run(huge_index):
    host, server, app = serve(Settings(index=huge_index), threads=6)
    try:
        base = f"http://{host}"
        huge_id = http.get_json(f"{base}/api/search?q=title:annual")["hits"][0]["id"]
        heavy = {
            "search page": f"{base}/search?q=smuggling",
            "api": f"{base}/api/search?q=smuggling+OR+%22smuggling+the%22&limit=50",
            "export": f"{base}/export.csv?q=smuggling",
            "concordance": f"{base}/kwic?q=smuggling",
            "document": f"{base}/doc/{huge_id}?q=smuggling",
        }
        answers: dict[str, tuple[int, str]] = {}

        def fetch(name: str, url: str) -> None:
            answers[name] = http.get(url, timeout=90)

        threads = [threading.Thread(target=fetch, args=item) for item in heavy.items()]
        for t in threads:
            t.start()
        waits = []
        for _ in range(5):  # ordinary searches while the heavy requests run
            started = time.monotonic()
            data = http.get_json(f"{base}/api/search?q=lighthouse+keeper", timeout=30)
            waits.append(time.monotonic() - started)
            assert data["total"] == 5
        for t in threads:
            t.join(120)
        assert max(waits) < 10, waits  # generous: they answer in well under a second alone
        for name in heavy:
            status, body = answers[name]
            assert status == 200, (name, body[:300])
        assert "<mark>smuggling</mark>" in answers["search page"][1]
        assert answers["export"][1].count("\n") >= 2
        assert "partial" in answers["document"][1]  # only the first matches of the report are marked
    finally:
        stop(server)
        app.extensions["archive"].close()
