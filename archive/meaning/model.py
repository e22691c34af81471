"""The meaning model: TF-IDF weights over a capped vocabulary, projected onto the top singular vectors.

Training uses scikit-learn (a sparse TF-IDF matrix and a randomized SVD) on at most `TRAIN_TEXTS`
distinct texts (all of them below that, an even sample chosen with a fixed seed above it), then
projects every document in chunks and writes its vector straight to the file: the memory training
takes is set by `TRAIN_TEXTS`, not by the archive's size. A stored model needs only numpy to turn
a query or a new document into a vector. Each document's vector is float32 and of unit length, so
closeness is a dot product. The model is a folder `meaning/` in the index folder:

- `terms.json`: the vocabulary, one term per column;
- `weights.npz`: the terms' idf and the projection (dims x terms, float32);
- `vectors.npy`: one row per document (float32, unit length);
- `rows.npz`: per row the document id, its content hash and the metadata facets and filters use
  (columns: archive/meaning/rows.py);
- `info.json`: when and on how many texts it was trained, and how many changes it has taken since.
"""

from __future__ import annotations

import io
import json
import logging
import mmap
import multiprocessing
import os
import re
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from itertools import islice
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import IO, Any

import numpy as np

from archive.documents import Document
from archive.ingest.pool import become_worker
from archive.meaning.rows import Rows, RowsBuilder, row_of

logger = logging.getLogger(__name__)

FOLDER = "meaning"
MAX_TERMS = 50_000  # vocabulary cap: memory and model size stay bounded at any archive size
MAX_DIMS = 200  # dimensions of the reduced space
# Distinct texts the vocabulary, idf and projection are learnt from at most: training's memory (the
# TF-IDF matrix, the SVD's working matrices) is set by this. 50,000 news texts hold every word used
# in two of them that a larger sample adds to the 50,000 terms kept, bar rare ones.
TRAIN_TEXTS = 50_000
SEED = 0  # the sample of texts learnt from is the same on every run over the same archive
CHUNK = 2_000  # documents projected (and their vectors written) at a time
TEXT_CHARS = 30_000  # each text's opening this long is read: a long report costs what an article does
USEFUL_TEXTS = 200  # fewer distinct texts than this make a model too small to rank by meaning well
TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")  # words of two letters or more, no digits
# Chunks of texts not learnt from that the forked process reads and transforms ahead of the projection
# (while the SVD runs) before it waits for it: their sparse rows are what it holds, about 1 MB a chunk
# of news texts. The SVD of `TRAIN_TEXTS` texts lasts about as long as it takes to read and transform
# 64 chunks: at 100,000 documents (50 chunks) they are all ready when the projection is.
LEAD = 64
# Seconds without a chunk from the forked process after which it is taken as stuck: it is stopped and
# this process projects the rest itself. A chunk takes well under a second.
HELPER_TIMEOUT = 600.0


class ArchiveChanged(ValueError):
    """The documents changed between two reads of one training."""


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
    texts: int = 0  # distinct texts when it was trained (trained_on: all of them, or a sample above TRAIN_TEXTS)

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
    rows: Rows
    info: Info = field(default_factory=Info)

    def __post_init__(self) -> None:
        self.column = {t: i for i, t in enumerate(self.terms)}

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


Read = Callable[[], Iterable[Document]]  # reads every stored document, in the same order on every call


def train(read: Read, dims: int = MAX_DIMS, max_terms: int = MAX_TERMS, sample: int = TRAIN_TEXTS,
          chunk: int = CHUNK) -> Model:
    """Learn a model from the documents `read` gives, with every vector in memory (see `build`)."""
    learnt = _learn(read, dims, max_terms, sample, chunk)
    chunks = list(learnt.vector_chunks(read))
    vectors = np.concatenate(chunks) if chunks else np.zeros((0, learnt.projection.shape[0]), dtype=np.float32)
    return Model(terms=learnt.terms, idf=learnt.idf, projection=learnt.projection, vectors=vectors,
                 rows=learnt.rows, info=learnt.finished())


def build(read: Read, index: Path, dims: int = MAX_DIMS, max_terms: int = MAX_TERMS,
          sample: int = TRAIN_TEXTS, chunk: int = CHUNK, procs: int = 1,
          hashes: Callable[[], set[str]] | None = None) -> Info:
    """Learn a model and write it into the index folder; each chunk of vectors goes to the file as it is made.

    The documents are read three times (their rows; the texts learnt from; every text, to project
    it), or twice with `hashes` (below), so nothing held grows with the archive but the rows (some
    50 bytes a document).
    With `hashes` (the distinct content hashes of the documents `read` gives, known ahead) the
    sample is chosen before the first read, and the rows and the texts learnt from come from one
    read (`_one_read`); the model is the same.

    With `procs` 2 and texts not learnt from (more distinct texts than `sample`), a forked process
    makes the third read and transforms those texts while this one runs the SVD, then projects them
    (`_Helper`); the model written is the same. Each call of `read` must then open a reader of its
    own and close it when its documents are all read: a reader open at the fork would be shared by
    the two processes, file offsets and all.
    """
    learnt = _learn(read, dims, max_terms, sample, chunk, procs, hashes)
    try:
        return _write(Path(index), learnt.terms, learnt.idf, learnt.projection, learnt.rows,
                      learnt.vector_chunks(read), learnt.finished)
    finally:
        learnt.stop()


@dataclass
class _Learnt:
    """A model's vocabulary, idf, projection and rows, before its vectors are made."""

    terms: list[str]
    idf: np.ndarray
    projection: np.ndarray
    rows: Rows
    info: Info
    transform: Callable[[list[str]], Any] | None  # texts -> their sparse TF-IDF rows (None: no vocabulary)
    matrix: Any  # the TF-IDF rows of the texts learnt from (sparse)
    in_matrix: np.ndarray  # each row's text's row in `matrix`, -1 for a text not learnt from
    started: float
    chunk: int = CHUNK
    helper: _Helper | None = None  # the forked process reading and transforming the texts not learnt from

    def vector_chunks(self, read: Read) -> Iterator[np.ndarray]:
        """Yield every document's unit vector, `chunk` documents at a time, in the rows' order.

        A text learnt from is projected from its row of the training matrix (so below `TRAIN_TEXTS`
        the vectors are those of a model trained on everything at once), any other text from its words:
        here, or by the forked process when there is one (`_Helper`).
        """
        if self.helper is None:
            yield from self._chunks(read)
            return
        helper, first = self.helper, 0  # first: the first row whose vector is not yet given
        try:
            helper.project(self.projection)
            for start in range(0, len(self.rows), self.chunk):
                other, projected = helper.chunk(start)  # first: the child checks the chunk's documents
                out = self._known(start, min(self.chunk, len(self.rows) - start))
                out[other] = projected
                yield _unit(out)
                first = start + len(out)
            helper.finish()
            return
        except _HelperLost as exc:
            logger.warning("the process projecting the meaning model's texts stopped (%s); "
                           "this one projects the rest", exc)
        finally:
            self.stop()
        yield from self._chunks(read, first)

    def _chunks(self, read: Read, first: int = 0) -> Iterator[np.ndarray]:
        """Yield the vectors of the chunks from row `first` on, reading and transforming in this process
        (the documents before it are read and checked, not projected)."""
        for start, chunk in self.read_chunks(read):
            if start < first:
                continue
            out = self._known(start, len(chunk))
            other = self._others(start, len(chunk))
            if len(other):
                out[other] = self._transformed(chunk, other) @ self.projection.T
            yield _unit(out)

    def read_chunks(self, read: Read) -> Iterator[tuple[int, list[Document]]]:
        """Yield (first row, documents) a chunk at a time, each chunk checked against the rows; raise
        `ArchiveChanged` when the documents differ from the rows or more follow them."""
        docs = iter(read())
        for start in range(0, len(self.rows), self.chunk):
            chunk = list(islice(docs, self.chunk))
            _same_documents(chunk, self.rows.ids[start:start + self.chunk])
            yield start, chunk
        if next(docs, None) is not None:
            raise ArchiveChanged("documents were added while the meaning model was trained")

    def _known(self, start: int, size: int) -> np.ndarray:
        """Return the (not yet unit) vectors of a chunk's texts learnt from, zero rows for the others."""
        out = np.zeros((size, self.projection.shape[0]), dtype=np.float32)
        if self.transform is not None:
            at = self.in_matrix[start:start + size]
            known = np.flatnonzero(at >= 0)
            if len(known):
                out[known] = self.matrix[at[known]] @ self.projection.T
        return out

    def _others(self, start: int, size: int) -> np.ndarray:
        """Return the places in a chunk of the texts not learnt from (none without a vocabulary)."""
        if self.transform is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.in_matrix[start:start + size] < 0)

    def _transformed(self, chunk: list[Document], other: np.ndarray) -> Any:
        """Return the sparse TF-IDF rows of the chunk's texts at `other`."""
        assert self.transform is not None
        return self.transform([text_of(chunk[i]) for i in other])

    def stop(self) -> None:
        """Stop the forked process, if any (it is done, or its work is no longer wanted)."""
        if self.helper is not None:
            self.helper.stop()
            self.helper = None

    def finished(self) -> Info:
        """Return the model's info, with the time taken so far."""
        return Info(**{**asdict(self.info), "seconds": round(time.monotonic() - self.started, 2)})


def _same_documents(chunk: list[Document], ids: np.ndarray) -> None:
    """Raise `ArchiveChanged` unless a read gave the documents of the first read, in its order."""
    if len(chunk) != len(ids) or any(d.id.encode() != i for d, i in zip(chunk, ids)):
        raise ArchiveChanged("the documents changed while the meaning model was trained")


def _learn(read: Read, dims: int, max_terms: int, sample: int, chunk: int, procs: int = 1,
           hashes: Callable[[], set[str]] | None = None) -> _Learnt:
    """Read the rows, then learn the vocabulary, idf and projection from (a sample of) the distinct texts
    (in the same read when the distinct hashes are given ahead: `_one_read`)."""
    started = time.monotonic()
    make = partial(_vectorizer, max_terms)
    got = _one_read(read, make, sample, hashes(), procs) if hashes is not None else None
    if got is None:
        vectorizer = make()
        rows = _rows(read)
        picked, in_matrix, texts_count = _sample(rows.hashes, sample)
        matrix = _fitted(vectorizer, _picked_texts(read, rows, picked))
    else:
        rows, picked, in_matrix, texts_count, matrix, vectorizer = got
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    info = Info(documents=len(rows), trained_on=int(picked.sum()), texts=texts_count, trained=now, updated=now)
    if matrix is None:
        info.dims = 1
        return _Learnt([], np.zeros(0, dtype=np.float32), np.zeros((1, 0), dtype=np.float32), rows, info, None,
                       None, in_matrix, started, chunk)
    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd

    vectorizer.stop_words_ = None  # the words left out, kept by scikit-learn only to be looked at
    terms = list(vectorizer.get_feature_names_out())
    k = max(1, min(dims, matrix.shape[0] - 1, len(terms) - 1))
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    info.dims, info.terms = k, len(terms)
    unknown = np.zeros((0, 0), dtype=np.float32)  # the projection, once the SVD is done
    learnt = _Learnt(terms, vectorizer.idf_.astype(np.float32), unknown, rows, info, vectorizer.transform, matrix,
                     in_matrix, started, chunk)
    if procs > 1 and (in_matrix < 0).any():  # texts to transform while the SVD runs
        try:
            learnt.helper = _Helper(learnt, read, (k, len(terms)))
        except OSError as exc:  # no process to be had (memory, a process limit): this one does it all
            logger.warning("no process could be forked to project the meaning model's texts (%s)", exc)
    try:
        with _blas_threads(1):
            _, _, vt = randomized_svd(matrix, n_components=k, n_iter=5, random_state=0)
    except BaseException:
        learnt.stop()
        raise
    learnt.projection = vt.astype(np.float32)
    return learnt


def _vectorizer(max_terms: int) -> Any:
    """Return a new TF-IDF vectorizer of the model's words (scikit-learn is imported when first needed)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(lowercase=True, token_pattern=TOKEN.pattern, stop_words="english", min_df=2,
                           max_df=0.5, max_features=max_terms, sublinear_tf=True, dtype=np.float32)


def _rows(read: Read) -> Rows:
    """Return the rows of every document `read` gives, in its order."""
    built = RowsBuilder()
    for doc in read():
        built.add(doc)
    return built.rows()


def _picked_texts(read: Read, rows: Rows, picked: np.ndarray) -> Iterator[str]:
    """Yield the texts of the picked rows, in their order, from a read that must give the rows' documents."""
    count = 0
    for i, doc in enumerate(read()):
        count = i + 1
        if i < len(picked) and picked[i]:
            if doc.id.encode() != rows.ids[i]:
                raise ArchiveChanged("the documents changed while the meaning model was trained")
            yield text_of(doc)
    if count < len(picked):  # the texts of the rows missing would be missing from the matrix
        raise ArchiveChanged("documents were deleted while the meaning model was trained")


def _one_read(read: Read, make: Callable[[], Any], sample: int, hashes: set[str], procs: int = 1
              ) -> tuple[Rows, np.ndarray, np.ndarray, int, Any, Any] | None:
    """Learn the vocabulary while the rows are read, the sample chosen ahead from the distinct hashes.

    `_sample` draws from the distinct texts in the order of their hashes, so the distinct hashes alone
    say which texts it picks; each is learnt from at its first document, as `_picked_texts` gives it.
    With `procs` 2, a forked process reads (`_TextReader`) while this one learns with the vectorizer
    `make` gives (scikit-learn is imported while the child starts reading); if it fails, this one
    reads. Return (rows, picked, in_matrix, distinct texts, TF-IDF matrix or None for too few words,
    vectorizer), or None when the documents read hold other texts than `hashes` (the caller then
    reads twice).
    """
    distinct = np.unique(np.asarray([h.encode() for h in hashes], dtype=bytes))
    del hashes  # a set of strings: several times the array
    if len(distinct) > sample:
        chosen = set(distinct[np.random.default_rng(SEED).choice(len(distinct), size=sample, replace=False)].tolist())
    else:
        chosen = set(distinct.tolist())

    def learnt_from(documents: Iterable[tuple[Row, str | None]]) -> tuple[Any, Rows, Any]:
        """Return the matrix, the rows and the vectorizer of (row, text or None) per document."""
        vectorizer, built = make(), RowsBuilder()
        return _fitted(vectorizer, _added(documents, built)), built.rows(), vectorizer

    got = None
    if procs > 1:
        try:
            reader = _TextReader(read, chosen)
        except OSError as exc:  # no process to be had: this one reads
            logger.warning("no process could be forked to read the meaning model's texts (%s)", exc)
        else:
            try:
                got = learnt_from(reader.documents())
            except _HelperLost as exc:
                logger.warning("the process reading the meaning model's texts stopped (%s); this one reads them",
                               exc)
            finally:
                reader.stop()
    matrix, rows, vectorizer = got if got is not None else learnt_from(_documents(read, chosen))
    if not np.array_equal(np.unique(rows.hashes), distinct):
        logger.debug("the documents read hold other texts than the hashes given: reading them twice")
        return None
    picked, in_matrix, texts_count = _sample(rows.hashes, sample)
    return rows, picked, in_matrix, texts_count, matrix, vectorizer


Row = tuple[str, str, str, str, str]  # `rows.row_of`: id, content hash, source, lang, date


def _documents(read: Read, chosen: set[bytes]) -> Iterator[tuple[Row, str | None]]:
    """Yield each document's row, with its text when it is learnt from (a chosen text, at its first
    document; `chosen` loses it)."""
    for doc in read():
        key = doc.content_hash.encode()
        if key in chosen:
            chosen.discard(key)
            yield row_of(doc), text_of(doc)
        else:
            yield row_of(doc), None


def _added(documents: Iterable[tuple[Row, str | None]], built: RowsBuilder) -> Iterator[str]:
    """Yield the texts learnt from, adding every document's row to `built` on the way."""
    add = built.add_row
    for row, text in documents:
        add(*row)
        if text is not None:
            yield text


class _Texts:
    """The texts a vectorizer learns from, and whether they were read to their end."""

    def __init__(self, texts: Iterable[str]):
        self.texts, self.done = texts, False

    def __iter__(self) -> Iterator[str]:
        yield from self.texts
        self.done = True


def _fitted(vectorizer: Any, texts: Iterable[str]) -> Any:
    """Return the TF-IDF matrix `vectorizer` learns from `texts`, having read them to their end (the
    rows of the documents gathered on the way are then all there); None when it finds too few words
    (no word in two texts and under half of them: a tiny or empty archive). An error of the read
    itself (`ArchiveChanged` among them) is raised."""
    source = _Texts(texts)
    feed = iter(source)
    try:
        matrix = vectorizer.fit_transform(feed)
    except ValueError:
        for _ in feed:  # the documents the vectorizer did not ask for (none when the read failed)
            pass
        if not source.done:
            raise
        return None
    for _ in feed:
        pass
    return matrix


@contextmanager
def _blas_threads(limit: int) -> Iterator[None]:
    """Keep the BLAS library to `limit` threads for the block.

    The SVD runs on one: most of its time goes to sparse products, which scipy makes on one thread
    anyway. At 100,000 documents a second BLAS thread saves little when the other core is free
    (3.5-4.3 s against 4.0-4.3 s, for 1.5 times the CPU time) and costs much when it is busy (the
    forked process `_Helper`, or other work): its threads wait for each other spinning, 11-23 s
    instead of 4. One thread also gives the same projection, to the bit, on any number of cores.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="blas"):
        yield


class _HelperLost(Exception):
    """The forked process died, failed or went silent: this process projects the rest itself."""


class _Forked:
    """A process forked for the training, and the pipe to it: its messages, its death, its end.

    It dies with this process (`become_worker`). Its messages are tuples; ("changed", why) raises
    `ArchiveChanged`, ("failed", why) and its death or silence for `HELPER_TIMEOUT` s raise `_HelperLost`.
    """

    def __init__(self, target: Callable[..., None], *args: Any):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=target, args=(child, *args), daemon=True)
        try:
            self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()  # only the child holds its end: its death reads as end-of-file here

    def _receive(self) -> tuple:
        ready = wait([self.conn, self.process.sentinel], timeout=HELPER_TIMEOUT)
        if not ready:
            raise _HelperLost(f"it sent nothing for {HELPER_TIMEOUT:.0f} s")
        try:
            message = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise _HelperLost(self._death() or f"it could not be heard: {exc!r}") from None
        if message[0] == "changed":
            raise ArchiveChanged(message[1])
        if message[0] == "failed":
            raise _HelperLost(message[1])
        return message

    def _death(self) -> str:
        """Return how the child died, once its end of the pipe is closed ("" if it is still alive)."""
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is None:
            return ""
        return f"it died ({f'killed by signal {-code}' if code < 0 else f'exit code {code}'})"

    def stop(self) -> None:
        """End the child (done, or no longer wanted) and wait for it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class _Helper(_Forked):
    """A forked process that reads every document, checks it against the rows and transforms the texts
    not learnt from, while this process runs the SVD; once the projection is there, it projects them
    and sends each chunk's vectors back in order.

    It reads with a reader of its own (`read` opens one per call; none is open here at the fork). It
    runs at most `LEAD` chunks ahead of the projection, so what it holds does not grow with the archive.
    The projection reaches it through memory shared at the fork, with a word on the pipe to say it is
    there: nothing this process sends can block, whatever state the child is in.
    """

    def __init__(self, learnt: _Learnt, read: Read, shape: tuple[int, int]):
        self.shape = shape
        self.shared = mmap.mmap(-1, max(1, shape[0] * shape[1] * 4))  # shared with the child: MAP_SHARED
        super().__init__(_help, learnt, read, self.shared, shape)

    def project(self, projection: np.ndarray) -> None:
        """Give the child the projection."""
        if projection.shape != self.shape:
            raise _HelperLost(f"the projection is {projection.shape}, not {self.shape}")
        np.frombuffer(self.shared, dtype=np.float32, count=projection.size)[:] = projection.reshape(-1)
        try:
            self.conn.send("projected")
        except OSError as exc:  # it stopped: its last word (a failure, a change) says why, if it had one
            message = self._receive()
            raise _HelperLost(f"it could not be told of the projection ({exc}), and sent {message[0]!r}") from None

    def chunk(self, start: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the places and projected rows of the chunk from row `start`'s texts not learnt from."""
        message = self._receive()
        if message[0] != "chunk" or message[1] != start:
            raise _HelperLost(f"it sent {message[0]!r} for the chunk from row {start}")
        return message[2], message[3]

    def finish(self) -> None:
        """Wait for the child's word that the read ended with the last row."""
        message = self._receive()
        if message[0] != "done":
            raise _HelperLost(f"it sent {message[0]!r} after the last chunk")
        self.process.join(timeout=5)  # it exits once its word is sent

    def stop(self) -> None:
        super().stop()
        self.shared.close()


class _TextReader(_Forked):
    """A forked process that makes the first read: it sends each document's row, with its text when it
    is learnt from, a batch of documents at a time, while this process gathers the rows and learns
    the vocabulary from the texts (`_one_read`): reading and learning each take one core. Like
    `_Helper`, it reads with a reader of its own. The rows come as plain values a batch at a time,
    so neither process holds them twice."""

    def __init__(self, read: Read, chosen: set[bytes]):
        super().__init__(_read_texts, read, chosen)

    def documents(self) -> Iterator[tuple[Row, str | None]]:
        """Yield what `_documents` yields, as the child sends it; end when it says the read is done."""
        while True:
            message = self._receive()
            if message[0] == "done":
                return
            if message[0] != "read":
                raise _HelperLost(f"it sent {message[0]!r} among the documents")
            yield from message[1]


READ_BATCH = 512  # documents the first read's process sends at a time


def _read_texts(conn: Connection, read: Read, chosen: set[bytes]) -> None:
    """The forked process of `_TextReader`: send ("read", [(row, text or None), ...]) for each batch of
    documents (`_documents`), then ("done",); ("failed", why) on an error."""
    become_worker()
    try:
        batch: list[tuple[Row, str | None]] = []
        for item in _documents(read, chosen):
            batch.append(item)
            if len(batch) >= READ_BATCH:
                conn.send(("read", batch))
                batch = []
        conn.send(("read", batch))
        conn.send(("done",))
    except (EOFError, BrokenPipeError):  # the parent no longer wants them
        pass
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which reads them itself
        _send(conn, ("failed", f"{type(exc).__name__}: {exc}"))


def _help(conn: Connection, learnt: _Learnt, read: Read, shared: mmap.mmap, shape: tuple[int, int]) -> None:
    """The forked process of `_Helper`: send ("chunk", start, places, vectors) for each chunk, then
    ("done",), or ("changed", why) when the documents differ from the rows, ("failed", why) on an error."""
    become_worker()
    projection: np.ndarray | None = None

    def projected(block: bool) -> np.ndarray | None:
        """Return the projection once the parent says it is there (waiting for the word when `block`)."""
        if projection is not None or not (block or conn.poll()):
            return projection
        if conn.recv() != "projected":
            raise _HelperLost("the parent sent something else than the projection")
        return np.frombuffer(shared, dtype=np.float32, count=shape[0] * shape[1]).reshape(shape)

    try:
        waiting: deque[tuple[int, np.ndarray, Any]] = deque()  # transformed, not yet projected
        for start, chunk in learnt.read_chunks(read):
            other = learnt._others(start, len(chunk))
            waiting.append((start, other, learnt._transformed(chunk, other) if len(other) else None))
            projection = projected(block=len(waiting) >= LEAD)
            if projection is not None:
                _send_projected(conn, waiting, projection)
        _send_projected(conn, waiting, projected(block=True))
        _send(conn, ("done",))
    except ArchiveChanged as exc:
        _send(conn, ("changed", str(exc)))
    except EOFError:  # the parent no longer wants the vectors
        pass
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which projects the rest itself
        _send(conn, ("failed", f"{type(exc).__name__}: {exc}"))


def _send(conn: Connection, message: tuple) -> None:
    """Send the child's last word, unless the parent has stopped listening (it then knows enough)."""
    try:
        conn.send(message)
    except OSError:
        pass


def _send_projected(conn: Connection, waiting: deque[tuple[int, np.ndarray, Any]],
                    projection: np.ndarray | None) -> None:
    """Project the chunks waiting and send their vectors, in order."""
    assert projection is not None
    while waiting:
        start, other, rows = waiting.popleft()
        vectors = rows @ projection.T if rows is not None else np.zeros((0, projection.shape[0]), dtype=np.float32)
        conn.send(("chunk", start, other, vectors))


def _sample(hashes: np.ndarray, sample: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Return which rows' texts are learnt from, each row's text's row in the training matrix (-1: not
    learnt from), and the number of distinct texts.

    Each distinct text is learnt from once (at its first row): all of them up to `sample`, else
    `sample` of them chosen evenly at random with a fixed seed. The texts are drawn in the order
    of their content hashes, not of the rows: the same archive gives the same sample (and so the
    same model) whatever order a build numbered its documents in (two indexing processes number
    them in the order they took their batches, which differs from build to build).
    """
    _, first, text_of_row = np.unique(hashes, return_index=True, return_inverse=True)  # first: in hash order
    if len(first) > sample:
        chosen = np.sort(first[np.random.default_rng(SEED).choice(len(first), size=sample, replace=False)])
    else:
        chosen = np.sort(first)
    picked = np.zeros(len(hashes), dtype=bool)
    picked[chosen] = True
    at = np.cumsum(picked, dtype=np.int64) - 1  # a picked row's row in the matrix
    own_first = first[text_of_row.reshape(-1)]  # each row's text's first row
    in_matrix = np.where(picked[own_first], at[own_first], -1).astype(np.int32)
    return picked, in_matrix, len(first)


def update(model: Model, docs: Iterable[Document], changed: int, index: Path) -> Info:
    """Write the model with the documents given as they now are into the index folder: known texts keep
    their vectors, new and changed texts are projected with the learnt vocabulary, documents not given
    are dropped. The vectors go to the file a chunk at a time."""
    folded = _Folded(model, changed)
    return _write(Path(index), model.terms, model.idf, model.projection, folded.rows, folded.vector_chunks(docs),
                  folded.finished)


class _Folded:
    """The documents given, folded into a model one chunk at a time."""

    def __init__(self, model: Model, changed: int):
        self.model = model
        self.changed = changed
        self.built = RowsBuilder()
        self.started = time.monotonic()
        self.count = 0

    def vector_chunks(self, docs: Iterable[Document]) -> Iterator[np.ndarray]:
        """Yield the vectors of the documents given, `CHUNK` at a time: kept, or projected when new or changed."""
        model, it = self.model, iter(docs)
        with _row_reader(model.vectors) as take:
            while chunk := list(islice(it, CHUNK)):
                out = np.zeros((len(chunk), model.vectors.shape[1]), dtype=np.float32)
                for doc in chunk:
                    self.built.add(doc)
                old = model.rows.unchanged(chunk)
                kept, pending = np.flatnonzero(old >= 0), np.flatnonzero(old < 0)
                if len(kept):
                    out[kept] = take(old[kept])
                if len(pending):
                    out[pending] = model.embed(text_of(chunk[i]) for i in pending)
                self.count += len(chunk)
                yield out

    def rows(self) -> Rows:
        """Return the rows of the documents given (once their vectors are made)."""
        return self.built.rows()

    def finished(self) -> Info:
        """Return the folded model's info."""
        return Info(**{**asdict(self.model.info), "documents": self.count,
                       "changed_since": self.model.info.changed_since + self.changed,
                       "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                       "seconds": round(time.monotonic() - self.started, 2)})


@contextmanager
def _row_reader(vectors: np.ndarray) -> Iterator[Callable[[np.ndarray], np.ndarray]]:
    """Give a function returning chosen rows of a model's vectors, for the block.

    The vectors of a loaded model are mapped from vectors.npy; every page of the mapping that is
    touched counts in the process's memory until the mapping goes (800 MB when an update copies
    every kept vector at a million documents). So the rows are read from the file instead, into
    buffers the size of what is asked for. Vectors in memory (a model just trained) are indexed.
    The file is the one mapped: the model folder is replaced only under the ingest lock, which the
    update holds from its load on.
    """
    mapped = _mapped_file(vectors)
    if mapped is None:
        yield lambda rows: np.asarray(vectors[rows])
        return
    name, offset = mapped
    with open(name, "rb") as f:
        yield partial(_read_rows, f, offset, vectors.shape[1])


def _mapped_file(vectors: np.ndarray) -> tuple[str, int] | None:
    """Return the file vectors are mapped from and where in it they start, when they are float32 rows
    to its end (None for vectors in memory)."""
    if not isinstance(vectors, np.memmap) or vectors.filename is None:
        return None
    whole = (vectors.dtype == np.dtype(np.float32) and vectors.ndim == 2 and vectors.flags.c_contiguous
             and os.path.getsize(vectors.filename) == vectors.offset + vectors.nbytes)
    return (vectors.filename, vectors.offset) if whole else None


def _read_rows(f: io.BufferedReader, offset: int, dims: int, rows: np.ndarray) -> np.ndarray:
    """Return the float32 vectors of rows (any order, repeats allowed) of the array stored from `offset`
    in a file: the distinct rows in order, each run of consecutive rows with one read."""
    distinct, back = np.unique(rows, return_inverse=True)
    out = np.empty((len(distinct), dims), dtype=np.float32)
    starts = np.flatnonzero(np.diff(distinct, prepend=-2) != 1)
    ends = np.append(starts[1:], len(distinct))
    for start, end in zip(starts.tolist(), ends.tolist()):
        f.seek(offset + int(distinct[start]) * out.itemsize * dims)
        view = out[start:end].data.cast("B")
        if f.readinto(view) != len(view):
            raise ArchiveChanged("the meaning model's vectors file is shorter than its rows")
    return out[back.reshape(-1)]


def _write(index: Path, terms: list[str], idf: np.ndarray, projection: np.ndarray, rows: Rows | Callable[[], Rows],
           vectors: Iterable[np.ndarray], info: Callable[[], Info]) -> Info:
    """Write a model aside, its vectors a chunk at a time (rows and info are asked for after them),
    then put it in place at once; return the info written."""
    target = index / FOLDER
    aside = index / f".{FOLDER}.new-{os.getpid()}"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir(parents=True)
    try:
        (aside / "terms.json").write_text(json.dumps(terms, ensure_ascii=False))
        np.savez(aside / "weights.npz", idf=idf, projection=projection)
        with open(aside / "vectors.npy", "wb") as f:
            written = write_vectors(f, vectors, projection.shape[0])
        stored = rows() if callable(rows) else rows
        if written != len(stored):
            raise ArchiveChanged(f"{written} vectors for {len(stored)} rows")
        save_arrays: Callable[..., None] = np.savez  # named arrays, one per column
        save_arrays(aside / "rows.npz", **stored.columns())
        written_info = info()
        (aside / "info.json").write_text(json.dumps(asdict(written_info), indent=1))
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    old = index / f".{FOLDER}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(aside, target)
    shutil.rmtree(old, ignore_errors=True)
    return written_info


def write_vectors(f: IO[bytes], chunks: Iterable[np.ndarray], dims: int) -> int:
    """Write float32 row chunks as one .npy array to a file open for writing; return the rows written.

    The header is written first for no rows and again at the end for the rows written: numpy pads the
    header so that the row count can grow in place.
    """
    def header(count: int) -> None:
        np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
                                                 "fortran_order": False, "shape": (count, dims)})

    header(0)
    start = f.tell()
    count = 0
    for chunk in chunks:
        f.write(np.ascontiguousarray(chunk, dtype=np.float32).reshape(-1, dims).tobytes())
        count += len(chunk)
    f.seek(0)
    header(count)
    if f.tell() != start:
        raise ValueError("the vectors' header changed size")
    return count


def info(index: Path) -> Info | None:
    """Return how the stored model was made, or None when there is none."""
    try:
        return Info(**json.loads((Path(index) / FOLDER / "info.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load(index: Path) -> Model | None:
    """Return the stored model, or None when there is none (or it cannot be read).

    The vectors are mapped from their file, not read into memory: the pages a search touches stay
    in the page cache, shared with every process that loads the model.
    """
    folder = Path(index) / FOLDER
    try:
        terms = json.loads((folder / "terms.json").read_text())
        with np.load(folder / "weights.npz") as w:
            idf, projection = w["idf"], w["projection"]
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        rows = _load_rows(folder)
        stored = Info(**json.loads((folder / "info.json").read_text()))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        if folder.exists():
            logger.warning("cannot read the meaning model in %s: %s", folder, exc)
        return None
    if len(rows) != len(vectors):
        logger.warning("the meaning model in %s is inconsistent (%d rows, %d vectors)", folder, len(rows),
                       len(vectors))
        return None
    return Model(terms=terms, idf=idf, projection=projection, vectors=vectors, rows=rows, info=stored)


def _load_rows(folder: Path) -> Rows:
    """Return the stored rows (from rows.json, one list per field, in a model stored before rows.npz)."""
    if (folder / "rows.npz").is_file() or not (folder / "rows.json").is_file():
        with np.load(folder / "rows.npz") as cols:
            return Rows.from_columns(cols)
    built = RowsBuilder()
    cols = json.loads((folder / "rows.json").read_text())
    for values in zip(cols["id"], cols["hash"], cols["source"], cols["lang"], cols["date"]):
        built.add_row(*values)
    return built.rows()


def size(index: Path) -> int:
    """Return the bytes the stored model takes."""
    folder = Path(index) / FOLDER
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) if folder.is_dir() else 0
