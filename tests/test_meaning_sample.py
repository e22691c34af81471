"""The meaning model learnt from a sample of the texts, its vectors written a chunk at a time.

Real indexes of BBC articles; what the sampled model finds is checked against the categories the
articles come from, and its stored files against the in-memory model and plain numpy.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import time
from collections import Counter, deque
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from indexes import build_index
from test_meaning import CATEGORIES, QUERIES, _corpus

from archive.archive import Archive
from archive.config import Settings
from archive.engine.choice import open_engine
from archive.meaning import model as mm
from archive.meaning.build import _closing_read
from archive.meaning.rows import CODED
from archive.query.tree import Everything

SAMPLE = 120  # of 250 distinct texts


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    """(index, distinct texts) of 250 BBC articles, one identical copy among them."""
    root = _corpus(tmp_path_factory.mktemp("bbc-sample") / "news")
    (root / "sport" / "copy-of-001.txt").write_bytes((root / "sport" / "001.txt").read_bytes())
    index = tmp_path_factory.mktemp("bbc-sample-ix") / "index"
    report = build_index([root], index)
    return index, report.distinct_texts


def _read(index: Path):
    """Return a reader of every stored document (each call a new read) and the engine to close."""
    engine = open_engine(Settings(index=index))
    return engine.documents, engine


def _projected(folder: Path, texts: list[str]) -> np.ndarray:
    """Return the unit vectors of texts from the stored vocabulary, idf and projection, with numpy alone."""
    col = {t: i for i, t in enumerate(json.loads((folder / "terms.json").read_text()))}
    weights = np.load(folder / "weights.npz")
    out = []
    for text in texts:
        counts = Counter(col[w] for w in re.findall(r"\b[^\W\d_][^\W\d_]+\b", text.lower()) if w in col)
        tfidf = np.zeros(len(col))
        for c, n in counts.items():
            tfidf[c] = (1 + np.log(n)) * weights["idf"][c]
        v = weights["projection"].astype(np.float64) @ (tfidf / np.linalg.norm(tfidf))
        out.append(v / np.linalg.norm(v))
    return np.array(out)


def test_a_model_learnt_from_a_sample_still_finds_each_category(news, tmp_path):
    index, distinct = news
    read, engine = _read(index)
    try:
        info = mm.build(read, index, sample=SAMPLE, chunk=7)
        documents = engine.count()
    finally:
        engine.close()
    assert info.trained_on == SAMPLE and info.texts == distinct and info.documents == documents == 251
    stored = json.loads((index / "meaning" / "info.json").read_text())
    assert stored["trained_on"] == SAMPLE and stored["texts"] == distinct
    vectors = np.load(index / "meaning" / "vectors.npy")
    assert vectors.shape == (documents, info.dims)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)  # every document has a vector
    with Archive(Settings(index=index)) as archive:
        same = []
        for cat, text in QUERIES.items():
            hits = archive.search(text, mode="meaning", limit=10).hits
            found = Counter(h.source for h in hits)
            assert len(hits) == 10 and found.most_common(1)[0][0] == cat, (cat, found)
            same.append(found[cat] / 10)
        assert sum(same) / len(same) >= 0.8  # the model learnt from all 250 texts: 0.88
        shares = []
        for cat in CATEGORIES:
            for some, _ in archive.listing(f"source:{cat}")[:6]:
                _, near = archive.similar(some, 10, by="meaning")  # type: ignore[misc]
                shares.append(sum(r.source == cat for r in near) / len(near))
        assert sum(shares) / len(shares) >= 0.7


def test_vectors_written_a_chunk_at_a_time_load_as_the_model_in_memory(news, tmp_path):
    index, _ = news
    read, engine = _read(index)
    try:
        whole = mm.train(read, sample=SAMPLE)
        again = mm.train(read, sample=SAMPLE, chunk=5)
        mm.build(read, tmp_path, sample=SAMPLE, chunk=13)
        ids = [d.id for d in read()]
        texts = [d.title + "\n\n" + d.text for d in read()]
    finally:
        engine.close()
    stored = mm.load(tmp_path)
    assert stored is not None
    assert np.array_equal(np.load(tmp_path / "meaning" / "vectors.npy"), whole.vectors)
    assert np.array_equal(again.vectors, whole.vectors)  # the same sample on every run: the same model
    assert stored.terms == whole.terms and np.array_equal(stored.projection, whole.projection)
    # Texts learnt from and the others alike: each vector is its words' TF-IDF weights, projected.
    assert np.allclose(stored.vectors, _projected(tmp_path / "meaning", texts), atol=1e-5)
    assert [stored.rows[i].id for i in range(len(stored.rows))] == ids == [whole.rows[i].id for i in range(len(ids))]


def test_below_the_sample_size_every_text_is_learnt_from(news):
    index, distinct = news
    read, engine = _read(index)
    try:
        every = mm.train(read, sample=distinct)
        capped = mm.train(read, sample=distinct - 1)
    finally:
        engine.close()
    assert every.info.trained_on == every.info.texts == distinct
    assert capped.info.trained_on == distinct - 1
    assert every.terms != capped.terms or not np.array_equal(every.projection, capped.projection)


def test_chunks_written_as_one_npy_array():
    rng = np.random.default_rng(1)
    chunks = [rng.random((n, 4), dtype=np.float32) for n in (3, 0, 1, 9)]
    f = io.BytesIO()
    assert mm.write_vectors(f, iter(chunks), 4) == 13
    f.seek(0)
    assert np.array_equal(np.load(f), np.vstack(chunks))
    empty = io.BytesIO()
    assert mm.write_vectors(empty, [], 4) == 0
    empty.seek(0)
    assert np.load(empty).shape == (0, 4)


def test_rows_find_documents_and_count_copies_as_a_scan_does(news):
    index, _ = news
    model = mm.load(index)
    assert model is not None
    read, engine = _read(index)
    try:
        docs = {d.id: d for d in read()}
    finally:
        engine.close()
    rows = model.rows
    assert len(rows) == len(docs) == 251
    hashes = Counter(d.content_hash for d in docs.values())
    for i in range(len(rows)):
        row = rows[i]
        doc = docs[row.id]
        assert rows.find(row.id) == i
        assert (row.hash, row.source, row.lang, row.date) == (doc.content_hash, doc.source, doc.language, doc.date)
        assert rows.copies(row.hash) == hashes[row.hash]
    assert max(hashes.values()) == 2
    assert rows.find("no-such-document") is None and rows.copies("0" * 20) == 0
    some = {rows[0].hash, rows[5].hash}
    kept = rows.kept(some, {rows[5].hash})
    assert [i for i in range(len(rows)) if kept[i]] == [i for i in range(len(rows)) if rows[i].hash == rows[0].hash]


def test_a_model_stored_with_rows_json_still_loads(news, tmp_path):
    index, _ = news
    folder = tmp_path / "meaning"
    folder.mkdir()
    for name in ("terms.json", "weights.npz", "vectors.npy", "info.json"):
        (folder / name).write_bytes((index / "meaning" / name).read_bytes())
    with np.load(index / "meaning" / "rows.npz") as cols:
        values = {n: [str(v) for v in cols[f"{n}_values"]] for n in CODED}
        old = {"id": [v.decode() for v in cols["id"]], "hash": [v.decode() for v in cols["hash"]]}
        old.update({n: [values[n][c] if c >= 0 else "" for c in cols[n]] for n in CODED})
    (folder / "rows.json").write_text(json.dumps(old))
    before, after = mm.load(index), mm.load(tmp_path)
    assert before is not None and after is not None
    assert [after.rows[i] for i in range(len(after.rows))] == [before.rows[i] for i in range(len(before.rows))]


@pytest.mark.parametrize("procs", [1, 2])
def test_a_read_that_differs_from_the_first_stops_the_training_and_keeps_the_stored_model(news, tmp_path, procs):
    index, _ = news
    engine = open_engine(Settings(index=index))
    read = _closing_read(engine)
    try:
        mm.build(read, tmp_path, sample=SAMPLE)
        before = (tmp_path / "meaning" / "vectors.npy").read_bytes()
        reads = []

        def shrinking():
            reads.append(1)
            docs = list(read())
            return docs[:-len(reads)]  # each read gives one document fewer

        with pytest.raises(mm.ArchiveChanged):  # in the third read (the forked process's with procs 2)
            mm.build(shrinking, tmp_path, sample=SAMPLE, procs=procs)
    finally:
        engine.close()
    assert (tmp_path / "meaning" / "vectors.npy").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["meaning"]


def test_the_same_archive_in_another_document_order_gives_the_same_model(news):
    """A full build numbers documents in the order its indexing processes took them, which differs
    from build to build: the sample learnt from, and so the model, must not depend on it. The
    reference is the model of the documents in the index's order; the same documents read in
    reverse give the same vocabulary, idf and projection, and each document the same vector."""
    index, distinct = news
    read, engine = _read(index)
    try:
        docs = list(read())
    finally:
        engine.close()
    backwards = docs[::-1]
    assert SAMPLE < distinct
    one = mm.train(lambda: docs, sample=SAMPLE)
    other = mm.train(lambda: backwards, sample=SAMPLE)
    assert one.terms == other.terms and np.array_equal(one.idf, other.idf)
    # The same up to float32 rounding, which the order of the training rows changes.
    assert np.allclose(one.projection, other.projection, atol=1e-4)
    by_id = {one.rows[i].id: one.vectors[i] for i in range(len(one.rows))}
    closeness = [float(other.vectors[i] @ by_id[other.rows[i].id]) for i in range(len(other.rows))]
    assert min(closeness) > 0.9999


def _files(folder: Path) -> dict:
    """Return every array and list a stored model holds, by file and name."""
    out: dict = {"terms": json.loads((folder / "terms.json").read_text()),
                 "vectors": np.load(folder / "vectors.npy")}
    for name in ("weights", "rows"):
        with np.load(folder / f"{name}.npz") as arrays:
            out.update({f"{name}.{k}": arrays[k] for k in arrays.files})
    return out


def _assert_same_files(one: Path, other: Path) -> None:
    a, b = _files(one / "meaning"), _files(other / "meaning")
    assert sorted(a) == sorted(b)
    for name in a:
        if isinstance(a[name], list):
            assert a[name] == b[name], name
        else:
            assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name]), name
    assert (one / "meaning" / "vectors.npy").read_bytes() == (other / "meaning" / "vectors.npy").read_bytes()


@pytest.mark.parametrize("sample", [SAMPLE, 1000])
def test_the_rows_and_texts_learnt_from_in_one_read_give_the_same_model(news, tmp_path, sample):
    """With the distinct hashes given ahead, the sample is chosen before the documents are read and the
    rows and texts come from one read: the files written are those of the two reads. Hashes that are
    not the documents' (one missing, one too many) are found out after the read, and the two reads
    are made: the same files again."""
    index, _ = news
    with _read_and_hashes(index) as (read, hashes):
        reads = []

        def counted():
            reads.append(1)
            return read()

        mm.build(counted, tmp_path / "two", sample=sample, chunk=7)
        assert len(reads) == 3
        for name, given in (("one", hashes), ("fewer", set(sorted(hashes)[1:])), ("more", hashes | {"0" * 40})):
            reads.clear()
            mm.build(counted, tmp_path / name, sample=sample, chunk=7, hashes=lambda given=given: given)
            assert len(reads) == (2 if name == "one" else 4), name
            _assert_same_files(tmp_path / "two", tmp_path / name)


@contextmanager
def _read_and_hashes(index: Path):
    """Yield a read of the index's documents (`_closing_read`) and their distinct hashes; close the engine after."""
    engine = open_engine(Settings(index=index))
    try:
        yield _closing_read(engine), engine.text_hashes(Everything())
    finally:
        engine.close()


def _counted(monkeypatch, name: str) -> list:
    """Return the processes of the class `name` of the model (`_Helper`, `_TextReader`) as `build` makes them."""
    made = []
    cls = getattr(mm, name)

    class Counted(cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(mm, name, Counted)
    return made


@pytest.fixture
def helpers(monkeypatch):
    """The forked processes projecting texts that `build` starts, as they are made."""
    return _counted(monkeypatch, "_Helper")


@pytest.mark.parametrize("lead", [mm.LEAD, 1])
def test_a_second_process_writes_the_same_model_as_one(news, tmp_path, monkeypatch, helpers, lead):
    """Texts not learnt from read, transformed and projected by a forked process while this one runs
    the SVD: every file written is the one a single process writes, whether the child waits for the
    projection after one chunk or runs ahead of it."""
    monkeypatch.setattr(mm, "LEAD", lead)
    index, _ = news
    engine = open_engine(Settings(index=index))
    try:
        read = _closing_read(engine)
        mm.build(read, tmp_path / "one", sample=SAMPLE, chunk=7)
        assert helpers == []
        info = mm.build(read, tmp_path / "two", sample=SAMPLE, chunk=7, procs=2)
        assert len(helpers) == 1 and not helpers[0].process.is_alive() and helpers[0].process.exitcode == 0
        assert info.trained_on == SAMPLE and info.documents == 251
        # Every text learnt from: no text to transform, no process forked.
        mm.build(read, tmp_path / "small", sample=1000, chunk=7, procs=2)
        assert len(helpers) == 1
    finally:
        engine.close()
    _assert_same_files(tmp_path / "one", tmp_path / "two")


def _kill_after(chunks: int):
    """Return a `_send_projected` that kills its process once it has sent `chunks` chunks."""
    sent = []
    send = mm._send_projected

    def killing(conn, waiting, box):
        while waiting:
            if len(sent) == chunks:
                os.kill(os.getpid(), signal.SIGKILL)
            sent.append(1)
            send(conn, deque([waiting.popleft()]), box)

    return killing


def _raising(self, chunk, other):
    if len(self.rows) and os.getpid() != PARENT:
        raise OSError("the disk went away")
    return transform(self, chunk, other)


PARENT = os.getpid()
transform = mm._Learnt._transformed


@pytest.mark.parametrize("how", ["killed mid-way", "killed at once", "raises", "hangs"])
def test_a_failing_second_process_leaves_the_work_to_this_one(news, tmp_path, monkeypatch, caplog, helpers, how):
    index, _ = news
    engine = open_engine(Settings(index=index))
    try:
        read = _closing_read(engine)
        mm.build(read, tmp_path / "one", sample=SAMPLE, chunk=7)
        if how == "killed mid-way":
            monkeypatch.setattr(mm, "_send_projected", _kill_after(5))
        elif how == "killed at once":
            monkeypatch.setattr(mm, "_help", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
        elif how == "raises":
            monkeypatch.setattr(mm._Learnt, "_transformed", _raising)
        else:
            monkeypatch.setattr(mm, "HELPER_TIMEOUT", 1.0)
            monkeypatch.setattr(mm, "_help", lambda *args: time.sleep(60))
        with caplog.at_level(logging.WARNING, logger="archive.meaning.model"):
            info = mm.build(read, tmp_path / "two", sample=SAMPLE, chunk=7, procs=2)
    finally:
        engine.close()
    assert len(helpers) == 1 and not helpers[0].process.is_alive()
    assert info.documents == 251
    why = {"killed mid-way": "it died (killed by signal 9)", "killed at once": "it died (killed by signal 9)",
           "raises": "OSError: the disk went away", "hangs": "it sent nothing for 1 s"}[how]
    assert f"the process projecting the meaning model's texts stopped ({why}); this one projects the rest" \
        in caplog.text
    _assert_same_files(tmp_path / "one", tmp_path / "two")


def test_no_process_to_fork_leaves_the_work_to_this_one(news, tmp_path, monkeypatch, caplog):
    index, _ = news

    def refused(*args):
        raise OSError(11, "Resource temporarily unavailable")

    engine = open_engine(Settings(index=index))
    try:
        read = _closing_read(engine)
        mm.build(read, tmp_path / "one", sample=SAMPLE, chunk=7)
        monkeypatch.setattr(mm, "_Helper", refused)
        with caplog.at_level(logging.WARNING, logger="archive.meaning.model"):
            mm.build(read, tmp_path / "two", sample=SAMPLE, chunk=7, procs=2)
    finally:
        engine.close()
    assert "no process could be forked to project the meaning model's texts" in caplog.text
    _assert_same_files(tmp_path / "one", tmp_path / "two")


def test_a_document_deleted_before_the_second_read_stops_the_training_there(news, tmp_path):
    """The texts learnt from are read a second time: one missing then (a deletion) is said at once,
    not left to make the training matrix shorter than the rows."""
    index, _ = news
    engine = open_engine(Settings(index=index))
    try:
        docs = list(_closing_read(engine)())
    finally:
        engine.close()
    reads = []

    def shrinking():
        reads.append(1)
        return docs if len(reads) == 1 else docs[:-1]

    with pytest.raises(mm.ArchiveChanged, match="deleted while the meaning model was trained"):
        mm.build(shrinking, tmp_path, sample=len(docs), procs=2)
    assert len(reads) == 2


READING: list[int] = []  # not empty in the forked process making the first read (see `_reading`)


def _reading(*args):
    """`_read_texts` marking its process, so that a patched `text_of` fails there and nowhere else (not in
    this process, not in the process projecting the texts)."""
    READING.append(1)
    return read_texts(*args)


read_texts = mm._read_texts


def _text_of_raising(doc):
    if READING:
        raise OSError("the disk went away")
    return text_of(doc)


text_of = mm.text_of


def _text_of_killing(texts: int):
    """Return a `text_of` that kills the process making the first read at its text number `texts`
    (after it sent some batches)."""
    seen = []

    def killing(doc):
        if READING:
            seen.append(1)
            if len(seen) == texts:
                os.kill(os.getpid(), signal.SIGKILL)
        return text_of(doc)

    return killing


@pytest.mark.parametrize("how", [None, "killed at once", "killed mid-way", "raises", "hangs", "not forked",
                                 "fewer hashes", "more hashes"])
def test_the_first_read_in_a_second_process_gives_the_same_model(news, tmp_path, monkeypatch, caplog, how):
    """With the hashes given and two processes, a forked process makes the first read and sends the
    documents' rows and the texts learnt from while this one learns from them: the same files. When it
    dies, fails, stays silent or cannot be forked, this process reads them itself; with hashes that are
    not the documents', it reads twice: the same files again."""
    index, _ = news
    engine = open_engine(Settings(index=index))
    made = _counted(monkeypatch, "_TextReader")
    monkeypatch.setattr(mm, "READ_BATCH", 10)
    monkeypatch.setattr(mm, "_read_texts", _reading)
    try:
        read = _closing_read(engine)
        hashes = engine.text_hashes(Everything())
        mm.build(read, tmp_path / "one", sample=SAMPLE, chunk=7)
        if how == "killed at once":
            monkeypatch.setattr(mm, "_read_texts", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
        elif how == "killed mid-way":
            monkeypatch.setattr(mm, "text_of", _text_of_killing(40))
        elif how == "raises":
            monkeypatch.setattr(mm, "text_of", _text_of_raising)
        elif how == "hangs":
            monkeypatch.setattr(mm, "HELPER_TIMEOUT", 1.0)
            monkeypatch.setattr(mm, "_read_texts", lambda *args: time.sleep(60))
        elif how == "not forked":
            def refused(*args):
                raise OSError(11, "Resource temporarily unavailable")
            monkeypatch.setattr(mm, "_TextReader", refused)
        elif how == "fewer hashes":
            hashes = set(sorted(hashes)[1:])
        elif how == "more hashes":
            hashes = hashes | {"0" * 40}
        with caplog.at_level(logging.WARNING, logger="archive.meaning.model"):
            mm.build(read, tmp_path / "two", sample=SAMPLE, chunk=7, procs=2, hashes=lambda: hashes)
    finally:
        engine.close()
    if how != "not forked":
        assert len(made) == 1 and not made[0].process.is_alive()
    why = {"killed at once": "it died (killed by signal 9)", "killed mid-way": "it died (killed by signal 9)",
           "raises": "OSError: the disk went away", "hangs": "it sent nothing for 1 s"}.get(how)
    if how == "not forked":
        assert "no process could be forked to read the meaning model's texts" in caplog.text
    elif why is None:
        assert "stopped" not in caplog.text  # neither forked process failed
    else:
        assert f"the process reading the meaning model's texts stopped ({why}); this one reads them" in caplog.text
        assert "the process projecting" not in caplog.text  # only the first read's process failed
    _assert_same_files(tmp_path / "one", tmp_path / "two")


@pytest.mark.parametrize("procs", [1, 2])
def test_an_error_of_the_read_itself_is_raised_not_taken_for_too_few_words(news, tmp_path, procs):
    """A first read that fails after its last document (every text seen) stops the training with its
    error; the vectorizer's own error for too few words is a `ValueError` too, and must not swallow it
    (the later reads, which succeed, would then write a model of one dimension)."""
    index, _ = news
    with _read_and_hashes(index) as (read, hashes):
        calls = []

        def failing():  # the first read fails (in this process), the others do not
            calls.append(1)
            yield from read()
            if len(calls) == 1:
                raise ValueError("a stored field could not be decoded")

        with pytest.raises(ValueError, match="could not be decoded"):
            mm.build(failing, tmp_path, sample=SAMPLE, procs=procs, hashes=lambda: hashes)
    assert not (tmp_path / "meaning").exists()
