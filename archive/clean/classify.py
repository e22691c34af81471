"""Score lines with the learned boilerplate classifier: logistic-regression weights kept as JSON.

The weights are trained offline (`python -m archive.clean.training`, scikit-learn) and shipped as
package data; scoring is a dot product in pure Python, so running the archive needs no
scikit-learn or numpy.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archive.clean.features import FEATURES, line_features

MODEL_FILE = "line_model.json"
# The classifier never removes a line this long that ends like a sentence: keep when in doubt.
MAX_WORDS_REMOVABLE = 20
_SENTENCE_END = re.compile(r"[.!?…。！？\"”’)]\s*$")


def may_remove(text: str) -> bool:
    """Return False for a line the classifier must keep whatever its score: a long sentence."""
    return len(text.split()) < MAX_WORDS_REMOVABLE or not _SENTENCE_END.search(text)


@dataclass(frozen=True)
class LineModel:
    """A logistic regression over standardised line features, and the score above which it removes."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, features: list[float]) -> float:
        """Return the probability that a line with these features is boilerplate."""
        z = self.intercept
        for x, m, s, c in zip(features, self.mean, self.scale, self.coef):
            z += c * (x - m) / s
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def score_lines(self, texts: list[str], wanted: list[bool] | None = None) -> list[float]:
        """Return the boilerplate probability of each wanted line of a document (0.0 for the others)."""
        feats = line_features(texts, wanted)
        return [self.probability(f) if wanted is None or wanted[i] else 0.0 for i, f in enumerate(feats)]

    def to_dict(self) -> dict:
        """Return the model as plain data (for JSON)."""
        return {
            "names": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
            "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LineModel:
        """Build a model from plain data; refuse one trained on other features."""
        if tuple(data["names"]) != FEATURES:
            raise ValueError("line model was trained on a different feature set; retrain it")
        return cls(tuple(data["names"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["coef"]), float(data["intercept"]), float(data["threshold"]))


@lru_cache(maxsize=1)
def default_model() -> LineModel | None:
    """Return the shipped model, or None when it is missing or stale (cleaning then relies on rules)."""
    try:
        text = resources.files("archive.clean").joinpath(MODEL_FILE).read_text(encoding="utf-8")
        return LineModel.from_dict(json.loads(text))
    except (FileNotFoundError, ValueError, KeyError):
        return None
