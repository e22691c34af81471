"""Learn a source's boilerplate from its corpus: lines that recur verbatim in many of its documents.

A promo, share bar or copyright line is pasted into every article a site publishes; an article
sentence or a subheading is written once. So a line (whitespace normalised) that occurs in at
least `MIN_DOCS` documents and in at least `MIN_SHARE` of the source's documents is boilerplate
for that source. Thresholds, chosen to keep content when in doubt:
- `MIN_DOCS = 3`: two articles can share a line by chance (a syndicated story carried twice, a
  quoted statement); three copies of a line across separate articles are a template.
- `MIN_SHARE = 0.3`: a template line appears on most pages; a stock phrase of prose ("The company
  did not respond to a request for comment.") appears in far fewer than 30 % of a site's articles.
- lines without a letter, and lines over `MAX_WORDS` words (paragraphs of prose), are never learnt.
Learnt lines are removed, like every other judged line, only from the edges of a paragraph.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

MIN_DOCS = 3
MIN_SHARE = 0.3
MAX_WORDS = 60


def learn_repeated_lines(texts: Iterable[str]) -> frozenset[str]:
    """Return the whitespace-normalised lines that recur in many of one source's documents.

    :param texts: the decoded texts of the source's documents (for HTML pages, the extracted
        main text, not the markup).
    """
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        counts.update({key for key in (normalise_line(x) for x in text.split("\n")) if _learnable(key)})
    if n < MIN_DOCS:
        return frozenset()
    need = max(MIN_DOCS, math.ceil(MIN_SHARE * n))
    return frozenset(line for line, c in counts.items() if c >= need)


def normalise_line(line: str) -> str:
    """Return a line with its whitespace collapsed, as learnt lines are compared."""
    return " ".join(line.replace("\u00a0", " ").split())


def _learnable(key: str) -> bool:
    return bool(key) and any(c.isalpha() for c in key) and len(key.split()) <= MAX_WORDS
