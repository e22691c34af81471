"""Desktop and phone widths: nothing overflows sideways; screenshots go to $ARCHIVE_SHOTS for a human to look at."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": 1280, "phone": 390}


def first_hit(page, live_server, q: str) -> str:  # type: ignore[no-untyped-def]
    return page.request.get(live_server + "/api/search", params={"q": q}).json()["hits"][0]["id"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", ["search", "document"])
def test_page_fits_the_width(page, live_server, shots_dir, width, view):
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    if view == "search":
        page.goto(live_server + "/search?q=oil+prices&lang=en")
    else:
        page.goto(f"{live_server}/doc/{first_hit(page, live_server, 'oil prices')}?q=oil+prices&removed=1")
        page.click("#hit-next")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{view} at {width} scrolls sideways by {overflow}px"
    smallest = page.evaluate("""Math.min(...[...document.querySelectorAll('main *')]
        .filter(e => e.offsetParent !== null && e.childNodes.length
                     && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 12, f"text of {smallest}px in the {view} view at {width}"
    page.screenshot(path=str(shots_dir / f"{view}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_labels_stay_whole_and_clear_of_the_chart(page, live_server, width):
    """A badge or a syntax example never breaks across lines, and the chart's scale label covers no bar."""
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    for url in ("/", "/search?q=oil"):
        page.goto(live_server + url)
        broken = page.evaluate("""[...document.querySelectorAll('.copies, .help code')]
            .filter(e => e.offsetParent !== null && e.getClientRects().length > 1).map(e => e.textContent)""")
        assert broken == [], f"broken over two lines at {width} on {url}: {broken}"
    covered = page.evaluate("""(() => {
        const peak = document.querySelector('.timeline .peak');
        if (!peak) return null;
        const p = peak.getBoundingClientRect();
        return [...document.querySelectorAll('.timeline .bar')].map(b => b.getBoundingClientRect())
            .filter(b => b.height > 0 && b.left < p.right && p.left < b.right && b.top < p.bottom && p.top < b.bottom)
            .length;
    })()""")
    assert covered is not None, "the search for oil shows no timeline"
    assert covered == 0, f"the scale label covers {covered} bars at {width}"
