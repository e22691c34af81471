"""Tags and notes: kept beside the index, found by tag:NAME and has:note, kept through re-indexing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import invoke
from indexes import build_index, index_state

from archive.archive import Archive
from archive.config import Settings
from archive.marks.store import MarkStore, marks_path
from archive.query.filters import Filters


def _ids_by_name(index: Path) -> dict[str, str]:
    """Return file name -> document id, read from the index's own states."""
    return {Path(rel).name: doc_id for doc_id, (rel, _) in index_state(index).items()}


def _cli(*args: str, index: Path) -> tuple[int, str, str]:
    result = invoke(*args, "--index", str(index))
    return result.exit_code, result.stdout, result.stderr


def _listing(kind: str, index: Path) -> dict[str, dict]:
    code, out, err = _cli(kind, "list", "--json", index=index)
    assert code == 0, err
    return {row["id"]: row for row in json.loads(out)}


def _count(query: str, index: Path) -> int:
    with Archive(Settings(index=index)) as archive:
        return archive.search(query, limit=0).total


def test_marks_survive_full_reingest_a_changed_file_and_a_deleted_one(ser_corpus, index_dir):
    build_index([ser_corpus], index_dir)
    ids = _ids_by_name(index_dir)
    names = sorted(ids)
    changed, deleted, noted = names[0], names[1], names[2]
    for name in (changed, deleted):
        assert _cli("tag", "add", ids[name], "Keep", "--author", "ana", index=index_dir)[0] == 0
    assert _cli("note", "add", ids[changed], "figures differ from the agency's", "--author", "ana",
                index=index_dir)[0] == 0
    assert _cli("note", "add", ids[noted], "follow up", index=index_dir)[0] == 0
    assert marks_path(index_dir).parent == index_dir.parent  # beside the index, not inside it
    assert (_count("tag:keep", index_dir), _count("has:note", index_dir)) == (2, 2)

    # A full rebuild swaps the index folder: the marks stay, on the same documents.
    code, _, err = _cli("ingest", "--full", str(ser_corpus), index=index_dir)
    assert code == 0, err
    tags = _listing("tag", index_dir)
    assert {i: (r["tags"], r["state"]) for i, r in tags.items()} == {
        ids[changed]: (["keep"], "ok"), ids[deleted]: (["keep"], "ok")}
    assert (_count("tag:keep", index_dir), _count("has:note", index_dir)) == (2, 2)

    # A changed file keeps its marks, is listed as changed, and tag:keep finds its new text.
    path = ser_corpus / changed
    path.write_text(path.read_text() + "\nA later correction mentions zucchini exports.\n")
    build_index([ser_corpus], index_dir)
    tags = _listing("tag", index_dir)
    assert (tags[ids[changed]]["tags"], tags[ids[changed]]["state"]) == (["keep"], "changed")
    assert _listing("note", index_dir)[ids[changed]]["notes"][0]["text"] == "figures differ from the agency's"
    assert _count("zucchini tag:keep", index_dir) == 1
    assert _count("tag:keep", index_dir) == 2

    # A deleted file's marks are kept and listed as orphaned, with the path it had.
    (ser_corpus / deleted).unlink()
    build_index([ser_corpus], index_dir)
    assert ids[deleted] not in index_state(index_dir)
    code, out, err = _cli("tag", "list", index=index_dir)
    assert code == 0 and "orphaned" in out and deleted in out and "1 orphaned" in err
    tags = _listing("tag", index_dir)
    assert (tags[ids[deleted]]["tags"], tags[ids[deleted]]["state"]) == (["keep"], "orphaned")
    assert _count("tag:keep", index_dir) == 1  # an orphan has no text left to find
    assert len(_listing("note", index_dir)) == 2


def test_tag_and_note_searches_match_the_marked_texts(archive, sample_index, sample_documents):
    """tag:, has:note and the tags facet count the distinct texts of the marked documents (removed after)."""
    docs = sample_documents
    marks = MarkStore(sample_index)
    try:
        chosen = {"alpha": docs[:5], "beta": docs[3:9]}
        for name, group in chosen.items():
            for doc in group:
                marks.add_tag(doc, name, "test")
        marks.add_note(docs[10], "a note", "test")
        marks.add_note(docs[4], "another", "test")
        for name, group in chosen.items():
            expected = {d.content_hash for d in group}
            result = archive.search(f"tag:{name}", limit=100)
            assert result.total == len(expected)
            assert {h.id for h in result.hits} <= {d.id for d in group} | {d.id for d in docs
                                                                       if d.content_hash in expected}
        assert archive.search("has:note", limit=0).total == len({docs[10].content_hash, docs[4].content_hash})
        both = {d.content_hash for d in chosen["alpha"]} & {d.content_hash for d in chosen["beta"]}
        assert archive.search("tag:alpha tag:beta", limit=0).total == len(both)
        either = {d.content_hash for d in docs[:9]}
        assert archive.search("tag:alpha OR tag:beta", limit=0).total == len(either)
        every = {d.content_hash for d in docs}
        alpha = {d.content_hash for d in chosen["alpha"]}
        assert archive.search("* NOT tag:alpha", limit=0).total == len(every - alpha)
        by_meaning = archive.search("prices and trade", mode="meaning", filters=Filters(tags=("alpha",)), limit=100)
        assert by_meaning.hits and {h.id for h in by_meaning.hits} <= {d.id for d in docs if d.content_hash in alpha}
        facet = archive.search("*", limit=0).facets["tag"]
        assert facet == {"alpha": len({d.content_hash for d in chosen["alpha"]}),
                         "beta": len({d.content_hash for d in chosen["beta"]})}
    finally:
        marks.close()
        marks_path(sample_index).unlink()


def test_tag_cli_exports_a_tagged_set_and_removes_marks(ser_corpus, index_dir):
    build_index([ser_corpus], index_dir)
    ids = _ids_by_name(index_dir)
    first, second = sorted(ids)[:2]
    assert _cli("tag", "add", ids[first], "to-read", index=index_dir)[0] == 0
    assert _cli("tag", "add", ids[second], "to-read", index=index_dir)[0] == 0
    code, out, _ = _cli("tag", "export", "to-read", "--format", "jsonl", index=index_dir)
    assert code == 0 and {json.loads(line)["id"] for line in out.splitlines()} == {ids[first], ids[second]}
    code, out, _ = _cli("search", "--format", "csv", "tag:to-read", index=index_dir)
    assert code == 0 and len(out.strip().splitlines()) == 3  # header and two rows
    assert _cli("tag", "add", ids[first], "bad tag!", index=index_dir)[0] == 2
    assert _cli("tag", "add", "0000000000000000", "x", index=index_dir)[0] == 2
    assert _cli("tag", "remove", ids[first], "to-read", index=index_dir)[0] == 0
    assert _cli("tag", "remove", ids[first], "to-read", index=index_dir)[0] == 1
    assert set(_listing("tag", index_dir)) == {ids[second]}
    code, out, _ = _cli("note", "add", ids[first], "check", index=index_dir)
    note_id = out.strip()
    assert _cli("note", "remove", note_id, index=index_dir)[0] == 0
    assert _cli("note", "remove", note_id, index=index_dir)[0] == 1
    assert _listing("note", index_dir) == {}
    assert _cli("search", "--count", "has:nothing", index=index_dir)[0] == 2


def _basic(user: str, password: str) -> dict:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_marking_forms_need_the_login_and_the_form_token(ser_corpus, index_dir, make_app):
    import dataclasses
    import re

    from serving import app_on

    from archive.passwords import hash_password

    build_index([ser_corpus], index_dir)
    doc_id = sorted(_ids_by_name(index_dir).values())[0]
    open_client = make_app(index_dir).test_client()
    assert "Add tag" not in open_client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert open_client.post(f"/doc/{doc_id}/tags", data={"tag": "x"}).status_code == 403  # no login configured
    settings = dataclasses.replace(Settings(index=index_dir), auth_user="ana",
                                   auth_hash=hash_password("pw", iterations=1000))
    with app_on(settings) as app:
        client, login = app.test_client(), _basic("ana", "pw")
        page = client.get(f"/doc/{doc_id}", headers=login).get_data(as_text=True)
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        url = f"/doc/{doc_id}/tags"
        assert client.post(url, data={"tag": "x", "csrf": token}).status_code == 401
        assert client.post(url, data={"tag": "x", "csrf": "guess"}, headers=login).status_code == 403
        assert client.post(url, data={"tag": "x"}, headers=login).status_code == 403
        assert client.post(url, data={"tag": "x", "csrf": token},
                           headers={**login, "Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert _listing("tag", index_dir) == {}
        assert client.post(url, data={"tag": "bad tag", "csrf": token}, headers=login).status_code == 400
        assert client.post(url, data={"tag": "x", "csrf": token}, headers=login).status_code == 303
        note = client.post(f"/doc/{doc_id}/notes", data={"text": "<script>alert(1)</script>", "csrf": token},
                           headers=login)
        assert note.status_code == 303
        shown = client.get(f"/doc/{doc_id}", headers=login).get_data(as_text=True)
        assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)" in shown
    rows = _listing("tag", index_dir)
    assert rows[doc_id]["tags"] == ["x"] and rows[doc_id]["notes"][0]["author"] == "ana"


@pytest.fixture(params=["whoosh", "sphinx"])
def engine_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "whoosh":
        return Settings(index=tmp_path / "index")
    return request.getfixturevalue("sphinx_cluster").settings(tmp_path / "index")


def test_tag_search_finds_the_marked_texts_on_both_engines(engine_settings):
    from archive.documents import Document, content_hash, document_id
    from archive.engine.choice import open_engine

    texts = {"a.txt": "The ferry crews walked out at dawn.", "b.txt": "The ferry crews walked out at dawn.",
             "c.txt": "Stalls lined the quay until dusk.", "d.txt": "A brass band played on the quay."}
    docs = [Document(id=document_id("news", name), collection="news", path=f"/news/{name}", relpath=name,
                     title=name, text=text, date="2024-01-01", content_hash=content_hash(name + "\n" + text))
            for name, text in texts.items()]
    engine = open_engine(engine_settings, create=True)
    with engine.bulk() as add:
        for doc in docs:
            add(doc)
    engine.close()
    with Archive(engine_settings) as archive, archive.marks(readonly=False) as marks:
        marks.add_tag(docs[0], "ferry", "t")
        marks.add_tag(docs[2], "ferry", "t")
        marks.add_note(docs[3], "band", "t")
        assert {h.id for h in archive.search("tag:ferry", limit=10).hits} == {docs[0].id, docs[2].id}
        assert {h.id for h in archive.search("quay NOT tag:ferry", limit=10).hits} == {docs[3].id}
        assert [h.id for h in archive.search("has:note", limit=10).hits] == [docs[3].id]
        assert archive.search("tag:nothing", limit=0).total == 0
        # The tag facet counts the distinct texts a search matches among the tagged ones: "ferry"
        # tags a.txt (one text with b.txt) and c.txt; "quay" matches c.txt and d.txt, "dawn" a/b.
        assert archive.search("quay", limit=0).facets["tag"] == {"ferry": 1}
        assert archive.search("dawn", limit=0).facets["tag"] == {"ferry": 1}
        assert archive.search("ferry OR quay", limit=0).facets["tag"] == {"ferry": 2}
        assert "tag" not in archive.search("band", limit=0).facets


def test_a_form_token_still_works_after_the_server_restarts(ser_corpus, index_dir):
    """Without ARCHIVE_SECRET_KEY the signing key is kept beside the index (owner-only), so a page
    opened before a restart can still post its form after it."""
    import dataclasses
    import os
    import re
    import stat

    from serving import app_on

    from archive.passwords import hash_password

    build_index([ser_corpus], index_dir)
    doc_id = sorted(_ids_by_name(index_dir).values())[0]
    settings = dataclasses.replace(Settings(index=index_dir), auth_user="ana",
                                   auth_hash=hash_password("pw", iterations=1000))
    login = _basic("ana", "pw")
    assert "ARCHIVE_SECRET_KEY" not in os.environ
    with app_on(settings) as before:
        client = before.test_client()
        page = client.get(f"/doc/{doc_id}", headers=login).get_data(as_text=True)
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        cookie = client.get_cookie("session")
        assert cookie is not None
    key_file = index_dir.parent / f"{index_dir.name}.secret"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with app_on(settings) as after:
        client = after.test_client()
        client.set_cookie("session", cookie.value)
        assert client.post(f"/doc/{doc_id}/tags", data={"tag": "kept", "csrf": token}, headers=login).status_code == 303
    assert _listing("tag", index_dir)[doc_id]["tags"] == ["kept"]
