"""The meaning model: TF-IDF weights over a capped vocabulary, projected onto the top singular vectors.

Training uses scikit-learn (a sparse TF-IDF matrix and a randomized SVD); a stored model needs only
numpy to turn a query or a new document into a vector. Each document's vector is float32 and of
unit length, so closeness is a dot product. The model is a folder `meaning/` in the index folder:

- `terms.json`: the vocabulary, one term per column;
- `weights.npz`: the terms' idf and the projection (dims x terms, float32);
- `vectors.npy`: one row per document (float32, unit length);
- `rows.json`: per row the document id, its content hash and the metadata facets and filters use;
- `info.json`: when and on how many texts it was trained, and how many changes it has taken since.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from archive.documents import Document

logger = logging.getLogger(__name__)

FOLDER = "meaning"
MAX_TERMS = 50_000  # vocabulary cap: memory and model size stay bounded at any archive size
MAX_DIMS = 200  # dimensions of the reduced space
TEXT_CHARS = 30_000  # each text's opening this long is read: a long report costs what an article does
# What facets count, from a row's metadata (as the engines' facets: sources by name, years, languages, months).
FACETS = {"source": lambda r: r.source, "year": lambda r: r.date[:4], "lang": lambda r: r.lang,
          "month": lambda r: r.date[:7]}
USEFUL_TEXTS = 200  # fewer distinct texts than this make a model too small to rank by meaning well
TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")  # words of two letters or more, no digits


@dataclass
class Row:
    """What the model keeps of one document besides its vector."""

    id: str
    hash: str
    source: str = ""
    lang: str = ""
    date: str = ""


@dataclass
class Info:
    """How the stored model was made."""

    documents: int = 0  # rows (documents) with a vector
    trained_on: int = 0  # distinct texts the vocabulary and projection were learnt from
    changed_since: int = 0  # documents added, changed or deleted since it was trained
    dims: int = 0
    terms: int = 0
    trained: str = ""  # when it was trained (ISO time)
    updated: str = ""  # when new texts were last folded in
    seconds: float = 0.0  # the last build's time

    @property
    def too_small(self) -> bool:
        """Return True when the model learnt from too few texts to rank by meaning well."""
        return self.trained_on < USEFUL_TEXTS

    def note(self) -> str:
        """Return the note shown with meaning results when the model is too small ("" otherwise)."""
        if not self.too_small:
            return ""
        return (f"The meaning model learnt from only {self.trained_on} texts: too few to rank by meaning well "
                f"(a few hundred or more help).")


@dataclass
class Model:
    """A trained model: vocabulary, idf, projection, and every document's vector."""

    terms: list[str]
    idf: np.ndarray  # (terms,) float32
    projection: np.ndarray  # (dims, terms) float32
    vectors: np.ndarray  # (rows, dims) float32, unit length (zero for a text with no known word)
    rows: list[Row]
    info: Info = field(default_factory=Info)

    def __post_init__(self) -> None:
        self.column = {t: i for i, t in enumerate(self.terms)}
        self.row_of = {r.id: i for i, r in enumerate(self.rows)}

    @cached_property
    def copies(self) -> Counter[str]:
        """Return how many documents hold each text (by content hash)."""
        return Counter(r.hash for r in self.rows)

    @cached_property
    def facet_codes(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Return, per facet (source, year, lang, month), each row's value as a code (-1: none) and the values."""
        out = {}
        for name, value_of in FACETS.items():
            values: dict[str, int] = {}
            codes = np.fromiter((values.setdefault(v, len(values)) if (v := value_of(r)) else -1 for r in self.rows),
                                dtype=np.int32, count=len(self.rows))
            out[name] = (codes, list(values))
        return out

    def embed(self, texts: Iterable[str]) -> np.ndarray:
        """Return the unit vectors of texts (zero rows for texts without a known word)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.projection.shape[0]), dtype=np.float32)
        for i, text in enumerate(texts):
            cols, weights = self._weights(text)
            if len(cols):
                out[i] = self.projection[:, cols] @ weights
        return _unit(out)

    def _weights(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the columns of a text's known words and their TF-IDF weights (sublinear tf, unit length)."""
        counts: dict[int, int] = {}
        for word in TOKEN.findall(text[:TEXT_CHARS].lower()):
            col = self.column.get(word)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        weights = (1.0 + np.log(tf)) * self.idf[cols]
        return cols, weights / np.linalg.norm(weights)

    def term_vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        """Return the unit context vector of each known word (its column of the projection)."""
        out = {}
        for w in words:
            col = self.column.get(w.lower())
            if col is not None:
                v = self.projection[:, col].astype(np.float32)
                n = float(np.linalg.norm(v))
                if n > 0:
                    out[w] = v / n
        return out


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


def text_of(doc: Document) -> str:
    """Return what the model reads of a document: its title and the opening of its text."""
    return doc.title + "\n\n" + doc.text[:TEXT_CHARS]


def row_of(doc: Document) -> Row:
    """Return the model's row of a document."""
    return Row(id=doc.id, hash=doc.content_hash, source=doc.source, lang=doc.language, date=doc.date)


def train(docs: Iterable[Document], dims: int = MAX_DIMS, max_terms: int = MAX_TERMS) -> Model:
    """Learn a model from documents read once, in bounded memory (sparse counts, capped vocabulary).

    The vocabulary and projection are learnt from the distinct texts (identical copies once);
    every document gets a vector.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.utils.extmath import randomized_svd

    started = time.monotonic()
    rows: list[Row] = []
    first_of: dict[str, int] = {}  # content hash -> its row in the TF-IDF matrix
    where: list[int] = []  # each document's row in the matrix

    def distinct() -> Iterator[str]:
        for doc in docs:
            rows.append(row_of(doc))
            known = first_of.get(doc.content_hash)
            if known is None:
                known = first_of[doc.content_hash] = len(first_of)
                yield text_of(doc)
            where.append(known)

    vectorizer = TfidfVectorizer(lowercase=True, token_pattern=TOKEN.pattern, stop_words="english",
                                 min_df=2, max_df=0.5, max_features=max_terms, sublinear_tf=True, dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(distinct())
    except ValueError:  # no word occurs in two texts and under half of them: a tiny or empty archive
        return _empty(rows, len(first_of), time.monotonic() - started)
    texts = matrix.shape[0]
    terms = list(vectorizer.get_feature_names_out())
    k = max(1, min(dims, texts - 1, len(terms) - 1))
    _, _, vt = randomized_svd(sparse.csr_matrix(matrix, dtype=np.float32), n_components=k, n_iter=5,
                                  random_state=0)
    projection = vt.astype(np.float32)
    doc_vectors = _unit(np.asarray(matrix @ projection.T, dtype=np.float32))
    vectors = doc_vectors[np.asarray(where, dtype=np.int64)] if where else np.zeros((0, k), dtype=np.float32)
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    info = Info(documents=len(rows), trained_on=texts, dims=k, terms=len(terms), trained=now, updated=now,
                seconds=round(time.monotonic() - started, 2))
    return Model(terms=terms, idf=vectorizer.idf_.astype(np.float32), projection=projection, vectors=vectors,
                 rows=rows, info=info)


def _empty(rows: list[Row], texts: int, seconds: float) -> Model:
    """Return a model that knows no word (every vector zero): too few texts to learn from."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    info = Info(documents=len(rows), trained_on=texts, dims=1, trained=now, updated=now, seconds=round(seconds, 2))
    return Model(terms=[], idf=np.zeros(0, dtype=np.float32), projection=np.zeros((1, 0), dtype=np.float32),
                 vectors=np.zeros((len(rows), 1), dtype=np.float32), rows=rows, info=info)


def fold_in(model: Model, docs: Iterable[Document], changed: int) -> Model:
    """Return the model with the documents given as they now are: known texts keep their vectors,
    new and changed texts are projected with the learnt vocabulary, documents not given are dropped."""
    started = time.monotonic()
    rows: list[Row] = []
    pending: list[Document] = []
    pending_at: list[int] = []
    kept: list[tuple[int, int]] = []  # (new row, old row)
    for doc in docs:
        old = model.row_of.get(doc.id)
        if old is not None and model.rows[old].hash == doc.content_hash:
            kept.append((len(rows), old))
        else:
            pending.append(doc)
            pending_at.append(len(rows))
        rows.append(row_of(doc))
    vectors = np.zeros((len(rows), model.vectors.shape[1]), dtype=np.float32)
    if kept:
        keep = np.asarray(kept, dtype=np.int64)
        vectors[keep[:, 0]] = model.vectors[keep[:, 1]]
    for start in range(0, len(pending), 1000):
        chunk = pending[start:start + 1000]
        vectors[pending_at[start:start + len(chunk)]] = model.embed(text_of(d) for d in chunk)
    info = Info(**{**asdict(model.info), "documents": len(rows), "changed_since": model.info.changed_since + changed,
                   "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": round(time.monotonic() - started, 2)})
    return Model(terms=model.terms, idf=model.idf, projection=model.projection, vectors=vectors, rows=rows, info=info)


def save(model: Model, index: Path) -> Path:
    """Write the model into the index folder, whole: written aside, then put in place at once."""
    target = Path(index) / FOLDER
    aside = Path(index) / f".{FOLDER}.new-{os.getpid()}"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir(parents=True)
    (aside / "terms.json").write_text(json.dumps(model.terms, ensure_ascii=False))
    np.savez(aside / "weights.npz", idf=model.idf, projection=model.projection)
    np.save(aside / "vectors.npy", model.vectors)
    rows = {k: [getattr(r, k) for r in model.rows] for k in ("id", "hash", "source", "lang", "date")}
    (aside / "rows.json").write_text(json.dumps(rows, ensure_ascii=False))
    (aside / "info.json").write_text(json.dumps(asdict(model.info), indent=1))
    old = Path(index) / f".{FOLDER}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(aside, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def info(index: Path) -> Info | None:
    """Return how the stored model was made, or None when there is none."""
    try:
        return Info(**json.loads((Path(index) / FOLDER / "info.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load(index: Path) -> Model | None:
    """Return the stored model, or None when there is none (or it cannot be read)."""
    folder = Path(index) / FOLDER
    try:
        terms = json.loads((folder / "terms.json").read_text())
        with np.load(folder / "weights.npz") as w:
            idf, projection = w["idf"], w["projection"]
        vectors = np.load(folder / "vectors.npy")
        cols = json.loads((folder / "rows.json").read_text())
        stored = Info(**json.loads((folder / "info.json").read_text()))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        if folder.exists():
            logger.warning("cannot read the meaning model in %s: %s", folder, exc)
        return None
    rows = [Row(*values) for values in zip(cols["id"], cols["hash"], cols["source"], cols["lang"], cols["date"])]
    if len(rows) != len(vectors):
        logger.warning("the meaning model in %s is inconsistent (%d rows, %d vectors)", folder, len(rows),
                       len(vectors))
        return None
    return Model(terms=terms, idf=idf, projection=projection, vectors=vectors, rows=rows, info=stored)


def size(index: Path) -> int:
    """Return the bytes the stored model takes."""
    folder = Path(index) / FOLDER
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) if folder.is_dir() else 0
