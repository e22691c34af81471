"""The index's stamp (what caches and permalinks key on) is read safely while commits land."""

from __future__ import annotations

import threading

from archive.config import Settings
from archive.documents import Document, content_hash, document_id
from archive.engine.choice import open_engine


def _doc(i: int) -> Document:
    text = f"Harbour notice number {i}: the ferry leaves at dawn."
    return Document(id=document_id("news", f"n{i}.txt"), collection="news", path=f"/news/n{i}.txt",
                    relpath=f"n{i}.txt", title=f"Notice {i}", text=text, date="2024-01-01",
                    content_hash=content_hash(text))


def test_stamp_is_read_while_other_commits_land(tmp_path):
    engine = open_engine(Settings(index=tmp_path / "index"), create=True)
    engine.write(add=[_doc(0)])
    errors: list[BaseException] = []
    stamps: set[str] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                stamps.add(engine.stamp())
            except BaseException as exc:  # noqa: BLE001 - any failure is the test's finding
                errors.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 40):
            engine.write(add=[_doc(i)])  # one commit each, replacing the table of contents
    finally:
        done.set()
        reader.join()
    assert not errors, errors
    assert engine.count() == 40 and len(stamps) > 1
    final = engine.stamp()
    assert final.split(":")[0] == str(max(int(s.split(":")[0]) for s in stamps | {final}))
    engine.close()
