"""Archives: members become parts with "!/" paths; bombs, depth, member counts and encryption are bounded."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from pathlib import Path

from fixtures.formats import make

from archive.formats import HEAD_BYTES, Limits, Part, detect, read_parts


def parts_of(path: Path, **kwargs) -> list[Part]:
    data = path.read_bytes()
    return list(read_parts(path, data, detect(path, data[:HEAD_BYTES], data), **kwargs))


def test_zip_members_become_parts_with_paths(tmp_path):
    docx = make.make_docx(tmp_path / "n.docx").read_bytes()
    z = make.make_zip(tmp_path / "reports.zip", {"2024/brief.docx": docx, "2024/readme.txt": b"Read me",
                                                 ".DS_Store": b"\x00\x01", "__MACOSX/._x": b"\x00"})
    parts = parts_of(z)
    assert [(p.subpath, p.format) for p in parts] == [("!/2024/brief.docx", "docx"), ("!/2024/readme.txt", "text")]
    assert parts[0].title == "Quarterly note" and parts[1].raw == "Read me"


def test_nested_archives_give_nested_paths(tmp_path):
    inner = make.make_tar(tmp_path / "b.tar.gz", {"c.txt": b"deep text"}, gz=True).read_bytes()
    outer = make.make_zip(tmp_path / "a.zip", {"x/b.tar.gz": inner})
    (part,) = parts_of(outer)
    assert part.subpath == "!/x/b.tar.gz!/c.txt" and part.raw == "deep text"


def test_nesting_deeper_than_the_limit_is_refused(tmp_path):
    data = b"innermost"
    name = "t.txt"
    for level in range(4):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(name, data)
        data, name = buf.getvalue(), f"level{level}.zip"
    path = tmp_path / "deep.zip"
    path.write_bytes(data)
    (part,) = parts_of(path, limits=Limits(max_depth=3))
    assert part.subpath == "!/level2.zip!/level1.zip!/level0.zip"
    assert part.error == "refused: archives nested more than 3 deep"
    (ok,) = parts_of(path, limits=Limits(max_depth=4))
    assert ok.raw == "innermost"


def test_zip_bomb_refused_before_inflating(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.txt", bytes(20 * 1024 * 1024))
        z.writestr("fine.txt", b"a normal member")
    parts = parts_of(bomb)
    assert parts[0].subpath == "!/zeros.txt"
    assert parts[0].error.startswith("refused: compression ratio") and "zip bomb" in parts[0].error
    assert parts[1].raw == "a normal member"


def test_gzip_bomb_refused_while_streaming(tmp_path):
    bomb = tmp_path / "zeros.txt.gz"
    bomb.write_bytes(gzip.compress(bytes(20 * 1024 * 1024)))
    (part,) = parts_of(bomb)
    assert part.subpath == "!/zeros.txt" and part.error.startswith("refused: compression ratio above 100:1")


def test_tar_gz_bomb_refused_once(tmp_path):
    bomb = make.make_tar(tmp_path / "bomb.tar.gz", {"a.txt": b"fine", "zeros.bin": bytes(20 * 1024 * 1024),
                                                     "b.txt": b"never reached"}, gz=True)
    parts = parts_of(bomb)
    assert [(p.subpath, bool(p.error)) for p in parts] == [("!/a.txt", False), ("!/zeros.bin", True)]
    assert "compression ratio above 100:1" in parts[1].error


def test_total_size_and_member_count_are_bounded(tmp_path):
    z = make.make_zip(tmp_path / "many.zip", {f"{i}.txt": b"word " * 50 for i in range(5)})
    parts = parts_of(z, limits=Limits(max_members=3))
    assert [p.error for p in parts[3:]] == ["refused: more than 3 members"] * 2
    parts = parts_of(z, limits=Limits(max_total_bytes=600))
    assert [bool(p.error) for p in parts] == [False, False, True, True, True]


def test_encrypted_member_is_reported_not_fatal(tmp_path):
    z = make.make_encrypted_zip(tmp_path / "locked.zip", {"open.txt": b"open words", "secret.txt": b"x"}, "secret.txt")
    parts = parts_of(z)
    assert [(p.subpath, p.error) for p in parts] == [
        ("!/open.txt", None), ("!/secret.txt", "encrypted member (password-protected); not read")]


def test_encrypted_docx_is_reported(tmp_path):
    docx = make.make_docx(tmp_path / "n.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    locked = make.make_encrypted_zip(tmp_path / "locked.docx", members, "word/document.xml")
    (part,) = parts_of(locked)
    assert part.error == "encrypted (password-protected) document"


def test_unsupported_member_is_listed_with_its_type(tmp_path):
    z = make.make_zip(tmp_path / "mixed.zip", {"photo.png": b"\x89PNG\r\n\x1a\n" + bytes(64)})
    (part,) = parts_of(z)
    assert (part.subpath, part.error) == ("!/photo.png", "unsupported: image/png")


def test_mailbox_inside_a_tar(tmp_path):
    box = make.make_mbox(tmp_path / "box.mbox", [make.make_message("Hello", "Words", msgid="<m1@example.org>")])
    tar = make.make_tar(tmp_path / "mail.tar", {"box.mbox": box.read_bytes()})
    (part,) = parts_of(tar)
    assert part.subpath == "!/box.mbox#m1@example.org" and part.title == "Hello"


def test_archive_and_mailbox_read_from_disk_beyond_the_file_limit(tmp_path):
    noise = [hashlib.sha256(f"{i}-{k}".encode()).hexdigest() for i in range(5) for k in range(30)]
    members = {f"{i}.txt": " ".join(noise[i * 30:(i + 1) * 30]).encode() for i in range(5)}  # hardly compresses
    z = make.make_zip(tmp_path / "big.zip", members)
    box = make.make_mbox(tmp_path / "big.mbox", [make.make_message(f"M{i}", "word " * 200) for i in range(5)])
    small = Limits(max_file_bytes=2000)  # each member and message fits; the files as a whole do not
    assert z.stat().st_size > 2000 and box.stat().st_size > 2000
    assert [p.error for p in read_parts(z, None, "zip", limits=small)] == [None] * 5
    assert [p.title for p in read_parts(box, None, "mbox", limits=small)] == [f"M{i}" for i in range(5)]
    (refused,) = read_parts(z, None, "zip", limits=Limits(max_container_bytes=1000))
    assert refused.error.startswith("too large")
