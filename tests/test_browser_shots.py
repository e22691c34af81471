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
