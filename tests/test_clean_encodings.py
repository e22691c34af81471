"""Each encoding a source file may come in decodes to the same NFC text, without mojibake."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from archive.clean import decode_bytes
from archive.ingest.extract import extract_file

TEXT = "Café Rosé owners count the cost — “a £20,000 loss,” said Zoë’s father.\nThe quay reopened on Friday.\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # Python writes a byte-order mark
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.replace("\n", "\r\n").encode("cp1252"), "cp1252"),
    ],
)
def test_decode_bytes_reads_each_encoding(data, encoding):
    text, found = decode_bytes(data)
    assert (text, found) == (TEXT, encoding)


def test_latin1_pound_sign_alone_is_not_read_as_east_asian():
    # A BBC sport article has one 0xA3 byte ('£' in Latin-1); a detector can mistake it for cp932.
    data = b"Chelsea paid a \xa315.8m fee for the striker, the club said on Monday.\n" * 3
    text, encoding = decode_bytes(data)
    assert encoding == "cp1252"
    assert "£15.8m" in text


def test_stray_high_byte_in_ascii_decodes_to_one_character():
    # Reuters-21578 (reut2-017.sgm) has a lone 0xFC byte after a sentence.
    text, encoding = decode_bytes(b"to sustain world economic growth.\xfc\nHow it ends.")
    assert encoding == "cp1252"
    assert text == "to sustain world economic growth.ü\nHow it ends."


@pytest.mark.parametrize("codec", ["euc-kr", "gb18030"])
def test_east_asian_text_is_recognised(codec):
    source = "혜산 장마당 물가가 크게 올랐다고 소식통은 전했다. " if codec == "euc-kr" else "经济增长放缓，出口下降。"
    text, _ = decode_bytes((source * 6).encode(codec))
    assert text == source * 6


def test_text_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Café Rosé")
    text, _ = decode_bytes(decomposed.encode("utf-8"))
    assert text == "Café Rosé"


def test_utf16_file_with_crlf_extracts_cleanly(tmp_path):
    path = tmp_path / "flood.txt"
    path.write_bytes(("River bursts its banks\r\n\r\n" + TEXT).encode("utf-16"))
    doc = extract_file(path, collection="c", root=tmp_path)
    assert doc.title == "River bursts its banks"
    assert "“a £20,000 loss,”" in doc.text
    assert "\r" not in doc.text
