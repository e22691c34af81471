"""Score lines with the learned line classifier: what kind of line each is, reading its context.

Two stages, both trained offline on a corpus of scraped pages from many sites
(`bench/cleaning/train.py`, scikit-learn) and shipped as package data (`line_model.npz`):

1. a multinomial logistic regression over each line's own named features
   (`features.line_tokens`) gives a probability per kind (`kinds.KINDS`);
2. a small neural network reads those probabilities for the line and its neighbours with the
   line's place in the document (`features.context_features`) and gives the final probabilities.

Scoring needs numpy only. A line is boilerplate when its probability of being content falls
below `threshold`, chosen at training time so that article words lost on sites held out of
training stay under 1 %; its kind is the most likely boilerplate kind.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from itertools import chain

import numpy as np

from archive.clean.features import SENTENCE_END, FeatureIndex, context_features, context_width
from archive.clean.kinds import CONTENT, KINDS

logger = logging.getLogger(__name__)

MODEL_FILE = "line_model.npz"
FORMAT = 2
# Prose this long that ends like a sentence is article text whatever its neighbours: it is never
# scored (which keeps cleaning a long report cheap) and never removed.
PROSE_WORDS = 40


def is_prose(text: str) -> bool:
    """Return True for a long line that ends like a sentence: the classifier always keeps it."""
    return len(text.split()) >= PROSE_WORDS and bool(SENTENCE_END.search(text))


def softmax(z: np.ndarray) -> np.ndarray:
    """Return each row of scores as probabilities."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def network(x: np.ndarray, mean: np.ndarray, scale: np.ndarray, hidden_w: np.ndarray, hidden_b: np.ndarray,
            out_w: np.ndarray, out_b: np.ndarray) -> np.ndarray:
    """Return the second stage's kind probabilities for context vectors (standardised, one hidden layer)."""
    h = np.maximum(0.0, ((x - mean) / scale) @ hidden_w + hidden_b)
    return softmax(h @ out_w + out_b)


def boilerplate_kind(probs: np.ndarray) -> str:
    """Return the most likely boilerplate kind of a line's kind probabilities (content left out)."""
    scores = probs.copy()
    scores[KINDS.index(CONTENT)] = -1.0
    return KINDS[int(scores.argmax())]


@dataclass(frozen=True)
class Cutoffs:
    """Where the judgement removes a line, in probabilities of boilerplate (chosen by training).

    A line goes on the classifier's word alone at `threshold`. A line an uncertain rule matches
    goes when the classifier leans that way: its probability reaches `rule_p`, or the line's own
    wording (the first stage) scores `rule_own_p` while its context does not speak clearly against
    it (`rule_floor`). "Download our app for breaking news alerts" goes; "Officials told residents
    to download the app and follow it." stays.
    """

    threshold: float
    rule_p: float = 0.35
    rule_own_p: float = 0.6
    rule_floor: float = 0.1


@dataclass(frozen=True)
class LineModel:
    """The two stages' weights, the kinds they predict, and where a line is removed."""

    kinds: tuple[str, ...]
    vocab: dict[str, int]
    w1: np.ndarray  # (features, kinds)
    b1: np.ndarray  # (kinds,)
    prose: np.ndarray  # (kinds,) first-stage probabilities given to long prose lines
    mean: np.ndarray  # context standardisation
    scale: np.ndarray
    hidden_w: np.ndarray  # (context, hidden)
    hidden_b: np.ndarray
    out_w: np.ndarray  # (hidden, kinds)
    out_b: np.ndarray
    threshold: float
    rule_p: float = Cutoffs.rule_p
    rule_own_p: float = Cutoffs.rule_own_p

    @cached_property
    def features(self) -> FeatureIndex:
        """Return the vocabulary as a `FeatureIndex` (made on first use)."""
        return FeatureIndex(self.vocab)

    @property
    def cutoffs(self) -> Cutoffs:
        """Return where this model's judgement removes a line."""
        return Cutoffs(self.threshold, self.rule_p, self.rule_own_p)

    def own_probabilities(self, texts: list[str], rule_kinds: list[tuple[str, ...]] | None = None,
                          cache: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Return the first stage's kind probabilities, one row per line.

        :param cache: rows already computed, by line text (a line scores the same in every pass).
        """
        out = np.empty((len(texts), len(self.kinds)))
        todo: list[int] = []
        rows: list[list[int]] = []
        columns = self.features.columns
        for i, text in enumerate(texts):
            if cache is not None and text in cache:
                out[i] = cache[text]
            elif is_prose(text):
                out[i] = self.prose
            else:
                rules = rule_kinds[i] if rule_kinds else ()
                todo.append(i)
                rows.append(columns(text, rules))
        if todo:
            out[todo] = softmax(self._scores(rows))
            if cache is not None:
                for i in todo:
                    cache[texts[i]] = out[i]
        return out

    def _scores(self, rows: list[list[int]]) -> np.ndarray:
        """Return the first stage's scores of lines given by their feature columns: each row's
        weights summed (in its columns' order), all rows in one gather and one sum."""
        z = np.zeros((len(rows), self.w1.shape[1]))
        filled, starts, at = [], [], 0  # the rows with a feature, and where each one's columns start
        for i, ids in enumerate(rows):
            if ids:
                filled.append(i)
                starts.append(at)
                at += len(ids)
        if filled:
            z[filled] = np.add.reduceat(self.w1[list(chain.from_iterable(rows))], starts, axis=0)
        return z + self.b1

    def probabilities(self, texts: list[str], rule_kinds: list[tuple[str, ...]] | None = None,
                      cache: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Return the final kind probabilities of every line of one document (rows in line order)."""
        if not texts:
            return np.zeros((0, len(self.kinds)))
        own = self.own_probabilities(texts, rule_kinds, cache)
        return self.contextual(own, texts)

    def contextual(self, own: np.ndarray, texts: list[str]) -> np.ndarray:
        """Return the second stage's probabilities from the first stage's and the lines."""
        return network(context_features(own, texts), self.mean, self.scale, self.hidden_w, self.hidden_b,
                       self.out_w, self.out_b)

    def save(self, path: str) -> None:
        """Write the model as a compressed numpy archive."""
        meta = {"format": FORMAT, "kinds": list(self.kinds), "threshold": self.threshold,
                "rule_p": self.rule_p, "rule_own_p": self.rule_own_p}
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez_compressed(
            path, meta=np.array(json.dumps(meta)), vocab=np.array("\n".join(vocab)),
            w1=self.w1.astype(np.float32), b1=self.b1, prose=self.prose, mean=self.mean, scale=self.scale,
            hidden_w=self.hidden_w.astype(np.float32), hidden_b=self.hidden_b, out_w=self.out_w, out_b=self.out_b,
        )

    @classmethod
    def load(cls, data: bytes) -> LineModel:
        """Read a model written by `save`; refuse one of another format or other kinds."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != FORMAT or tuple(meta.get("kinds", ())) != KINDS:
                raise ValueError("line model was trained for other features or kinds; retrain it")
            words = str(z["vocab"]).split("\n")
            model = cls(KINDS, {w: i for i, w in enumerate(words)}, z["w1"].astype(np.float64), z["b1"],
                        z["prose"], z["mean"], z["scale"], z["hidden_w"].astype(np.float64), z["hidden_b"],
                        z["out_w"], z["out_b"], float(meta["threshold"]),
                        float(meta.get("rule_p", Cutoffs.rule_p)), float(meta.get("rule_own_p", Cutoffs.rule_own_p)))
        if model.mean.shape[0] != context_width(len(KINDS)):
            raise ValueError("line model was trained for other context features; retrain it")
        return model


@lru_cache(maxsize=1)
def default_model() -> LineModel | None:
    """Return the shipped model, or None when it is missing or stale (cleaning then relies on rules)."""
    try:
        data = resources.files("archive.clean").joinpath(MODEL_FILE).read_bytes()
        return LineModel.load(data)
    except (FileNotFoundError, ValueError, KeyError, OSError) as exc:
        logger.warning("no usable line model (%s); cleaning with rules only", exc)
        return None
