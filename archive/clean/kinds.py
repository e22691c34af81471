"""The kinds of line the cleaner tells apart, and the reason it reports for each kind it removes.

The line classifier predicts one of `KINDS` for every line; `CONTENT` is article text (headline,
paragraph or subheading) and every other kind is boilerplate. A removed line is reported with
the reason of its kind, so a researcher reading the removed blocks sees *why* each went.
"""

from __future__ import annotations

CONTENT = "content"

# Order matters only to the stored model: it is saved with the list it was trained on.
KINDS: tuple[str, ...] = (
    CONTENT,
    "caption",  # photo captions and credits ("… / Image: Harbour Gazette", "Photo: Reuters")
    "alt_text",  # image alt text and alt-text keyword lists
    "share",  # share and follow widget labels
    "promo",  # subscribe, sign-up, app-download, donate and paywall calls
    "related",  # related-headline lists, "Read more" and "See also" labels
    "comment",  # comment prompts and counters
    "legal",  # copyright, terms and licence lines
    "byline",  # bylines, author bios, date lines
    "nav",  # menus, breadcrumbs, section labels, tag lists
    "edition",  # links to the page in another language
    "other",  # any other boilerplate (ads, cookie notices, forms)
)

REASONS: dict[str, str] = {
    "caption": "photo caption",
    "alt_text": "image alt text",
    "share": "share/follow buttons",
    "promo": "promo: subscription, newsletter or app",
    "related": "related links list",
    "comment": "comment prompt",
    "legal": "copyright or legal notice",
    "byline": "byline or date line",
    "nav": "navigation or tag list",
    "edition": "promo: other-language edition link",
    "other": "boilerplate",
}

# The kinds of the training corpus (bench/cleaning/build_corpus.py), folded into the model's kinds.
CORPUS_KINDS: dict[str, str] = {
    "title": CONTENT, "content": CONTENT, "heading": CONTENT,
    "caption": "caption", "credit": "caption", "alt_text": "alt_text",
    "share": "share", "promo": "promo", "paywall": "promo",
    "related": "related", "read_more": "related",
    "comment": "comment", "legal": "legal",
    "byline": "byline", "bio": "byline", "date": "byline",
    "nav": "nav", "tags": "nav",
    "edition": "edition", "ad": "other", "other": "other",
}


def reason_of(kind: str) -> str:
    """Return the reason reported for a removed line of this kind."""
    return REASONS.get(kind, REASONS["other"])
