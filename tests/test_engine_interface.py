"""Both engines answer every method of the engine interface (archive/engine/base.py), on real indexes.

The same documents go into a Whoosh index folder and into a real Sphinx cluster on loopback
(tests/sphinx_cluster.py), each opened through `open_engine`; the answers are compared with
what the documents hold, worked out here by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import Settings
from archive.documents import Document, content_hash, document_id, texts_digest
from archive.engine.base import Engine
from archive.engine.choice import engine_exists, full_rebuild, has_index_files, open_engine, verify_files
from archive.query import parse
from archive.query.tree import Node

TEXTS = {
    "a.txt": ("Ferry strike", "The ferry crews walked out at dawn over the new rota."),
    "b.txt": ("Ferry strike", "The ferry crews walked out at dawn over the new rota."),  # a copy of a.txt
    "c.txt": ("Harbour fair", "Stalls lined the quay and a brass band played until dusk."),
}


def _documents() -> list[Document]:
    return [Document(id=document_id("news", name), collection="news", path=f"/news/{name}", relpath=name,
                     title=title, text=text, date=f"2024-0{i + 1}-01", content_hash=content_hash(text),
                     run_id=f"run{i}")
            for i, (name, (title, text)) in enumerate(TEXTS.items())]


@pytest.fixture(params=["whoosh", "sphinx"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "whoosh":
        return Settings(index=tmp_path / "index")
    cluster = request.getfixturevalue("sphinx_cluster")
    return cluster.settings(tmp_path / "index")


def _tree(query: str) -> Node:
    return parse(query).tree


def test_every_method_answers_on_both_engines(settings: Settings) -> None:
    assert not engine_exists(settings)
    engine: Engine = open_engine(settings, create=True)
    try:
        docs = _documents()
        with engine.bulk() as add:
            for doc in docs:
                add(doc)
        assert engine_exists(settings)
        assert engine.count() == 3
        assert engine.get(docs[2].id).title == "Harbour fair"
        assert engine.get("no such id") is None
        assert engine.copies(docs[0].content_hash) == ["/news/a.txt", "/news/b.txt"]
        assert set(engine.states()) == {d.id for d in docs}
        assert engine.verify().ok
        stats = engine.stats()
        assert stats["documents"] == 3 and sum(stats["years"].values()) == 2  # distinct texts

        ferry, everything = _tree("ferry"), _tree("*")
        assert engine.text_hashes(everything) == {d.content_hash for d in docs}  # what the meaning model reads
        assert isinstance(engine.hashes_at_hand, bool)
        result = engine.search(everything, limit=10)
        assert result.total == 2 and len(result.hits) == 2  # the two copies are one result
        stories = engine.search(everything, limit=10, count="stories")
        assert stories.total == 2  # no story groups texts that differ this much
        assert (stories.messages == ["Story counts need the Whoosh engine; distinct texts are counted."]) \
            is (not engine.keeps_stories)
        assert [h.id for h in engine.export(ferry)] == [engine.search(ferry).hits[0].id]
        marks = engine.marked(docs[0], ferry)
        assert marks.count == 2
        assert [docs[0].title[a:b].lower() for a, b in marks.title_spans] == ["ferry"]
        assert [docs[0].text[a:b].lower() for a, b in marks.text_spans] == ["ferry"]

        found = dict(engine.listing(ferry))
        assert len(found) == 1 and found.popitem()[1] in ("run0", "run1")
        [(doc, spans)] = list(engine.occurrences(ferry))
        assert [doc.text[a:b] for a, b in spans] == ["ferry"]
        assert engine.texts_digest(everything) == (texts_digest(sorted({d.content_hash for d in docs})), 2)
        assert [d.id for d in engine.new_since(everything, "run1")] == [docs[2].id]
        assert engine.matching(ferry, docs) == {docs[0].id, docs[1].id}

        terms, related = engine.similar(docs[0].id, 5) or ([], [])
        assert docs[0].id not in [r.id for r in related] and docs[1].id not in [r.id for r in related]
        assert engine.similar("no such id", 5) is None
        story, versions = engine.stories_of([docs[2].id])[docs[2].id]
        assert versions == 1 and [r.id for r in engine.story(story)] == [docs[2].id]
        assert engine.largest_stories(10) == []
        engine.prepare_stories()
        assert {(i, t) for i, _, t in engine.stored_stories()} == {(d.id, d.text) for d in docs}
        # the meaning model's reads: every stored document, and the texts a tree keeps
        assert sorted((d.id, d.title, d.text, d.content_hash) for d in engine.documents()) == \
            sorted((d.id, d.title, d.text, d.content_hash) for d in docs)
        assert engine.text_hashes(ferry) == {docs[0].content_hash}
        assert engine.text_hashes(everything) == {d.content_hash for d in docs}

        stamp = engine.stamp()
        assert engine.write(delete=[docs[1].id]) == 0
        assert engine.stamp() != stamp and engine.count() == 2
        assert engine.copies(docs[0].content_hash) == ["/news/a.txt"]
    finally:
        engine.close()


def test_what_depends_on_the_kind_of_engine_is_asked_of_choice(settings: Settings) -> None:
    open_engine(settings, create=True).close()
    files = has_index_files(settings)
    assert verify_files(settings).ok
    rebuild = full_rebuild(settings)
    assert (rebuild is not None) is files  # a folder index is rebuilt aside; a cluster in place
    if rebuild is not None:
        folder = rebuild.folder()
        built = rebuild.create(folder)
        with built.bulk() as add:
            add(_documents()[2])
        assert built.count() == 1
        built.close()
        rebuild.swap_in(folder)
        engine = open_engine(settings)
        assert engine.count() == 1
        engine.close()


def test_an_index_written_before_the_whoosh_package_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its table of contents names the analysers and fields by their old modules, archive.engine.X."""
    from archive.engine.whoosh import analysis, fields

    for module, names in ((analysis, ("WordTokenizer", "FoldFilter", "PossessiveFilter", "PlainFilter")),
                          (fields, ("WordsField", "PairsField"))):
        for name in names:  # pickled under the module they had then
            monkeypatch.setattr(getattr(module, name), "__module__", module.__name__.replace(".whoosh.", "."))
    settings = Settings(index=tmp_path / "index")
    engine = open_engine(settings, create=True)
    engine.write(_documents())
    engine.close()
    monkeypatch.undo()
    [toc] = list(settings.index.glob("_MAIN_*.toc"))
    data = toc.read_bytes()
    assert b"archive.engine.analysis" in data and b"archive.engine.fields" in data
    assert b"archive.engine.whoosh." not in data
    assert verify_files(settings).ok
    engine = open_engine(settings)
    try:
        assert engine.search(_tree("ferry")).total == 1
    finally:
        engine.close()
