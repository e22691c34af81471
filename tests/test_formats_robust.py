"""Damaged input of every kind: read_parts yields parts (errors at worst) and never raises."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest
from fixtures.formats import make
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.formats import HEAD_BYTES, SUPPORTED_KINDS, Part, detect, read_parts


@functools.cache
def samples() -> dict[str, bytes]:
    """A small valid file of each kind, to be cut and scrambled (not a fixture: hypothesis would print it)."""
    with tempfile.TemporaryDirectory() as tmp:
        return _write_samples(Path(tmp))


def _write_samples(d: Path) -> dict[str, bytes]:
    """Write the samples into d and return their bytes."""
    msg = make.make_message("Hi", "Body", attachments=(("a.txt", b"attached", "text/plain"),))
    files = {
        "pdf": make.make_pdf(d / "a.pdf", [["One paragraph of text."], ["Another page."]]),
        "docx": make.make_docx(d / "a.docx"),
        "odt": make.make_odt(d / "a.odt"),
        "epub": make.make_epub(d / "a.epub", [("One", "Text.")]),
        "mbox": make.make_mbox(d / "a.mbox", [msg, make.make_message("Two", "More")]),
        "zip": make.make_zip(d / "a.zip", {"x.txt": b"hello", "y.html": b"<p>hi</p>"}),
        "tar": make.make_tar(d / "a.tar.gz", {"x.txt": b"hello"}, gz=True),
        "gzip": make.make_gz(d / "a.txt.gz", b"hello there"),
    }
    out = {kind: path.read_bytes() for kind, path in files.items()}
    out["eml"] = bytes(msg)
    out["reuters-sgml"] = make.reuters_bytes()
    return out


def read_all(data: bytes, kind: str) -> list[Part]:
    """Read bytes as the given kind, and as what detection says; both must only yield parts."""
    parts = list(read_parts(Path(f"damaged.{kind}"), data, kind))
    parts += list(read_parts(Path("damaged"), data, detect(Path("damaged"), data[:HEAD_BYTES], data)))
    assert all(isinstance(p, Part) for p in parts)
    return parts


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(SUPPORTED_KINDS - {"text", "html"})), cut=st.floats(0, 1))
def test_truncated_files_never_raise(kind, cut):
    data = samples()[kind]
    read_all(data[: int(len(data) * cut)], kind)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(SUPPORTED_KINDS - {"text", "html"})), at=st.floats(0, 1),
       junk=st.binary(min_size=1, max_size=16))
def test_scrambled_files_never_raise(kind, at, junk):
    data = bytearray(samples()[kind])
    pos = int((len(data) - 1) * at)
    data[pos:pos + len(junk)] = junk
    read_all(bytes(data), kind)


@pytest.mark.parametrize("kind", sorted(SUPPORTED_KINDS))
def test_empty_input_never_raises(kind):
    parts = list(read_parts(Path("empty"), b"", kind))
    assert all(isinstance(p, Part) for p in parts)
