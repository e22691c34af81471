"""Train the boilerplate line classifier on html-sample and measure it on sites it was not trained on.

Run: `python -m archive.clean.training ../shared/corpora/html-sample` (needs the `train` extra:
scikit-learn). It labels the lines of each page (every visible block of the raw page, and every
line of trafilatura's extraction) as inside or outside the page's reference text, fits a
logistic regression on line features, chooses the removal threshold so that cross-validated
loss of article text stays under `MAX_CONTENT_LOSS`, and writes the weights as JSON package data.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from archive.clean.classify import MODEL_FILE, LineModel, may_remove
from archive.clean.corpus import Labeller, Page, block_lines, read_pages
from archive.clean.features import FEATURES, line_features

logger = logging.getLogger(__name__)

# Share of article characters the classifier may remove in cross-validation: keep when in doubt.
MAX_CONTENT_LOSS = 0.005
# Weight of a page's raw blocks vs trafilatura's lines: the cleaner mostly sees extracted or
# scraped article text, where the hard cases (promos inside the article area) live.
SEQUENCE_WEIGHTS = (100.0, 200.0)
FOLDS = 5
_TLDS = {"com", "net", "org", "ie", "uk", "jp", "se", "jm", "edu", "vc", "kr", "ca"}


@dataclass
class Rows:
    """Labelled lines: features, label (1 = boilerplate), characters, page group, line text."""

    x: list[list[float]]
    y: list[int]
    chars: list[int]
    groups: list[str]
    texts: list[str]
    weights: list[float] = field(default_factory=list)
    extracted: list[bool] = field(default_factory=list)  # from trafilatura's output, not the raw page


def site_of(page: Page) -> str:
    """Return the site a page comes from, so that cross-validation never splits a site."""
    if page.kind == "readability":
        return re.sub(r"-\d+$", "", page.name)
    parts = page.name.split("-")[0].split(".")
    for i, part in enumerate(parts):
        if part in _TLDS:
            return ".".join(parts[: i + 1])
    return parts[0]


def extract_main(html: str) -> str:
    """Return trafilatura's main text with the options the cleaner uses."""
    import trafilatura

    try:
        return trafilatura.extract(html, include_comments=False, include_tables=True, deduplicate=False) or ""
    except Exception:  # noqa: BLE001 - one bad page must not stop training
        return ""


def page_rows(page: Page, extracted: str) -> Rows:
    """Return the labelled lines of one page: its raw blocks, then its extracted lines."""
    rows = Rows([], [], [], [], [])
    labeller = Labeller(page, extracted)
    seqs = (block_lines(page.html), [x for x in extracted.split("\n") if x.strip()])
    for seq, weight in zip(seqs, SEQUENCE_WEIGHTS):
        n = len(rows.y)
        for text, feats in zip(seq, line_features(seq)):
            label = labeller.is_content(text)
            if label is None:
                continue
            rows.x.append(feats)
            rows.y.append(0 if label else 1)
            rows.chars.append(len(text))
            rows.groups.append(site_of(page))
            rows.texts.append(text)
        # Every page weighs the same, whatever the length of its menus.
        share = weight / max(1, len(rows.y) - n)
        rows.weights.extend([share] * (len(rows.y) - n))
        rows.extracted.extend([seq is seqs[1]] * (len(rows.y) - n))
    return rows


def collect(root: Path) -> Rows:
    """Return the labelled lines of every page in html-sample."""
    out = Rows([], [], [], [], [])
    for page in read_pages(root):
        rows = page_rows(page, extract_main(page.html))
        for name in ("x", "y", "chars", "groups", "texts", "weights", "extracted"):
            getattr(out, name).extend(getattr(rows, name))
    return out


def fit(x: list[list[float]], y: list[int], threshold: float = 0.5, weights: list[float] | None = None) -> LineModel:
    """Fit a standardised logistic regression and return it as a `LineModel`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y, sample_weight=weights)
    scale = [float(s) if s > 0 else 1.0 for s in scaler.scale_]
    return LineModel(FEATURES, tuple(float(m) for m in scaler.mean_), tuple(scale),
                     tuple(float(c) for c in clf.coef_[0]), float(clf.intercept_[0]), threshold)


def out_of_fold(rows: Rows, folds: int = FOLDS) -> tuple[list[float], list[set[str]]]:
    """Return each line's probability from a model not trained on its site, and each fold's sites."""
    sites = sorted(set(rows.groups))
    fold_sites = [set(sites[i::folds]) for i in range(folds)]
    probs = [0.0] * len(rows.y)
    for held in fold_sites:
        train = [i for i, g in enumerate(rows.groups) if g not in held]
        model = fit([rows.x[i] for i in train], [rows.y[i] for i in train], weights=[rows.weights[i] for i in train])
        for i, g in enumerate(rows.groups):
            if g in held:
                # Lines the cleaner would keep whatever their score count as kept.
                probs[i] = model.probability(rows.x[i]) if may_remove(rows.texts[i]) else 0.0
    return probs, fold_sites


def choose_threshold(rows: Rows, probs: list[float]) -> float:
    """Return the lowest threshold whose removals cost at most MAX_CONTENT_LOSS of article text."""
    content = sum(c for c, y in zip(rows.chars, rows.y) if y == 0)
    for t in [x / 100 for x in range(50, 100)]:
        lost = sum(c for c, y, p in zip(rows.chars, rows.y, probs) if y == 0 and p >= t)
        if lost <= MAX_CONTENT_LOSS * content:
            return t
    return 0.99


def report(rows: Rows, probs: list[float], t: float) -> dict[str, float]:
    """Return cross-validated figures at threshold t, by lines and by characters."""
    def share(cond_y: int) -> tuple[float, float]:
        idx = [i for i, y in enumerate(rows.y) if y == cond_y]
        hit = [i for i in idx if probs[i] >= t]
        return len(hit) / max(1, len(idx)), sum(rows.chars[i] for i in hit) / max(1, sum(rows.chars[i] for i in idx))

    bl, bc = share(1)
    cl, cc = share(0)
    return {"lines": len(rows.y), "boilerplate_lines": sum(rows.y), "threshold": t,
            "boilerplate_removed_lines": round(bl, 3), "boilerplate_removed_chars": round(bc, 3),
            "content_lost_lines": round(cl, 4), "content_lost_chars": round(cc, 4)}


def main(argv: list[str]) -> int:
    """Train on html-sample, print cross-validated figures, write the model."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = Path(argv[0]) if argv else Path("../shared/corpora/html-sample")
    rows = collect(root)
    probs, _ = out_of_fold(rows)
    t = choose_threshold(rows, probs)
    print(json.dumps(report(rows, probs, t), indent=1))  # noqa: T201 - a command's output
    model = fit(rows.x, rows.y, threshold=t, weights=rows.weights)
    out = Path(__file__).with_name(MODEL_FILE)
    out.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    for name, c in sorted(zip(FEATURES, model.coef), key=lambda p: -abs(p[1])):
        print(f"{name:18s} {c:+.2f}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
