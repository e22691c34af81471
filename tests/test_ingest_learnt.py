"""Boilerplate learnt from the corpus at ingest: a template line of one source's files is removed,
with its reason, and remembered for files that arrive alone on a later run."""

from __future__ import annotations

from archive.archive import Archive
from archive.config import Settings
from archive.ingest import ingest

TEMPLATE = "Brought to you each morning by the Quarry Weekly desk team"


def _article(i: int, topic: str) -> str:
    return (f"Quarry story {i}\n\nThe {topic} council met on Tuesday to discuss the gravel permits for "
            f"the northern pits, and residents asked about lorry traffic number {i}.\n\n{TEMPLATE}\n")


def _folder(path, make=_article, suffix=".txt", topics=("parish", "county", "district", "town")):
    """Write one file per topic, made by `make`, into a new folder."""
    path.mkdir()
    for i, topic in enumerate(topics):
        (path / f"a{i}{suffix}").write_text(make(i, topic))
    return path


def test_template_line_of_a_source_is_learnt_removed_and_remembered(tmp_path):
    src = _folder(tmp_path / "quarry-weekly")
    settings = Settings(index=tmp_path / "ix")
    assert not ingest([str(src)], settings).failed
    with Archive(settings) as archive:
        assert archive.search('"quarry weekly desk"').total == 0
        doc = archive.get(archive.search("gravel").hits[0].id)
        assert (TEMPLATE, "repeated in many documents of this source") in [(r.text, r.reason) for r in doc.removed]
    (src / "late.txt").write_text(_article(9, "village"))  # arrives alone on a later night
    assert ingest([str(src)], settings).added == 1
    with Archive(settings) as archive:
        assert archive.search('"quarry weekly desk"').total == 0
        assert archive.search("village gravel").total == 1


def test_a_line_in_few_documents_is_kept(tmp_path):
    src = tmp_path / "mixed"
    src.mkdir()
    for i, topic in enumerate(["parish", "county", "district", "town", "city", "borough", "shire"]):
        text = _article(i, topic)
        (src / f"a{i}.txt").write_text(text if i < 2 else text.replace(TEMPLATE, f"A closing line of its own {i}."))
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    with Archive(settings) as archive:
        assert archive.search('"quarry weekly desk"').total == 2


def test_copies_of_one_story_keep_their_text(tmp_path):
    src = tmp_path / "wire"
    src.mkdir()
    story = ("Port strike spreads\n\nDockers at three more terminals walked out on Friday over pay.\n\n"
             "The union said talks would resume next week.\n\n{tail}\n")
    for i in range(4):
        (src / f"copy{i}.txt").write_text(story.format(tail=f"Reported for outlet {i}."))
    settings = Settings(index=tmp_path / "ix")
    report = ingest([str(src)], settings)
    assert not report.failed, report.summary()
    with Archive(settings) as archive:
        assert archive.search('"walked out on friday"').total == 4


def test_files_indexed_before_a_line_was_learnt_are_cleaned_again(tmp_path):
    src = _folder(tmp_path / "quarry-weekly", topics=("parish", "county"))  # two files: too few to learn from
    settings = Settings(index=tmp_path / "ix")
    ingest([str(src)], settings)
    with Archive(settings) as archive:
        assert archive.search('"quarry weekly desk"').total == 2
    for i, topic in enumerate(["district", "town"], 2):  # the folder now shows its template
        (src / f"a{i}.txt").write_text(_article(i, topic))
    report = ingest([str(src)], settings)
    assert (report.added, report.updated) == (2, 2)
    with Archive(settings) as archive:
        assert archive.search('"quarry weekly desk"').total == 0
        assert archive.search("gravel").total == 4
    again = ingest([str(src)], settings)  # nothing new learnt: nothing cleaned again
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)


def _page(i: int, topic: str) -> str:
    return (f"<html><head><title>Quarry story {i}</title></head><body><article><h1>Quarry story {i}</h1>"
            f"<p>The {topic} council met on Tuesday to discuss the gravel permits for the northern pits, and "
            f"residents asked about lorry traffic number {i} on the narrow lanes near the school.</p>"
            f"<p>Councillors said a decision on the permits was expected before the end of the year, after "
            f"a consultation with residents of the {topic} and the quarry's owners.</p>"
            f"<p>{TEMPLATE}</p></article></body></html>")


def test_a_template_line_of_html_pages_is_learnt(tmp_path):
    src = _folder(tmp_path / "quarry-site", _page, ".html")
    settings = Settings(index=tmp_path / "ix")
    assert not ingest([str(src)], settings).failed
    with Archive(settings) as archive:
        assert archive.search('"quarry weekly desk"').total == 0
        assert archive.search("gravel permits").total == 4


def test_a_large_folder_is_learnt_from_a_bounded_sample_with_the_same_template(tmp_path):
    """Past `max_files`, learning reads a fixed sample of the folder: the template (on every page)
    is still learnt, a line on a few pages still is not, and the sample does not depend on the
    order the files come in. The reference is learning from every file."""
    from archive.clean.learn import learn_repeated_lines
    from archive.ingest.learnt import LearntLines, sample

    src = tmp_path / "big"
    src.mkdir()
    files = []
    for i in range(90):
        tail = "Shared by a handful of pages" if i % 15 == 0 else f"A closing line of its own {i}."
        path = src / f"a{i:03d}.txt"
        path.write_text(_article(i, f"ward {i}").replace(TEMPLATE, f"{TEMPLATE}\n\n{tail}"))
        files.append(("news", str(path), f"big/{path.name}"))
    everything = learn_repeated_lines(p.read_text() for p in sorted(src.iterdir()))
    assert TEMPLATE in everything and "Shared by a handful of pages" not in everything

    forward = LearntLines(tmp_path / "ix1", max_files=25)
    backward = LearntLines(tmp_path / "ix2", max_files=25)
    forward.learn(files)
    backward.learn(list(reversed(files)))
    assert forward.for_file("news", "big/a000.txt") == backward.for_file("news", "big/a000.txt")
    assert forward.for_file("news", "big/a000.txt") == {TEMPLATE}
    chosen = sample([f[1] for f in files], 25)
    assert len(chosen) == 25 and chosen == sample([f[1] for f in reversed(files)], 25)
    assert set(chosen) <= {f[1] for f in files}


def test_folders_learnt_in_worker_processes_learn_what_each_folder_learns_alone(tmp_path, monkeypatch, caplog):
    """Learning spread over forked processes gives every folder the lines it gives when learnt by
    itself in this process (the reference: `learn_repeated_lines` and the template check, one
    folder at a time); a folder whose worker dies is reported and learns nothing, the others still do."""
    import logging
    import os

    from archive.ingest import learnt
    from archive.ingest.learnt import LearntLines

    monkeypatch.setattr(learnt, "MIN_POOL_FILES", 1)
    files = []
    for f in range(6):
        folder = tmp_path / "src" / f"site{f}"
        folder.mkdir(parents=True)
        line = f"Site {f} sends these stories to readers in every ward each week"
        for i in range(8 + f):
            text = _article(i, f"ward {i}").replace(TEMPLATE, line)
            (folder / f"a{i}.txt").write_text(text)
            files.append(("news", str(folder / f"a{i}.txt"), f"site{f}/a{i}.txt"))
    alone = {}
    for f in range(6):
        own = LearntLines(tmp_path / f"ix-alone{f}")
        own.learn([x for x in files if x[2].startswith(f"site{f}/")])
        alone[f] = own.for_file("news", f"site{f}/a0.txt")
        assert f"Site {f} sends these stories to readers in every ward each week" in alone[f]
    spread = LearntLines(tmp_path / "ix-spread")
    grown = spread.learn(files, procs=2)
    assert sorted(grown) == [f"news/site{f}" for f in range(6)]
    assert all(spread.for_file("news", f"site{f}/a0.txt") == alone[f] for f in range(6))

    def dies_in_site3(paths):
        if any("site3" in p for p in paths) and os.getpid() != parent:
            os._exit(9)
        yield from original(paths)

    parent, original = os.getpid(), learnt._texts
    monkeypatch.setattr(learnt, "_texts", dies_in_site3)
    crashed = LearntLines(tmp_path / "ix-crash")
    with caplog.at_level(logging.WARNING, logger="archive.ingest.learnt"):
        grown = crashed.learn(files, procs=2)
    assert sorted(grown) == [f"news/site{f}" for f in range(6) if f != 3]
    assert crashed.for_file("news", "site3/a0.txt") == frozenset()
    assert "no boilerplate learnt from news/site3: the learning process died on this folder" in caplog.text
