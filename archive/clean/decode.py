"""Turn the bytes of a source file into text: byte-order marks, UTF-8, then a best guess."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Encodings a detector may propose that we trust over the Western default.
_MIN_HIGH_BYTES = 16
_CJK = re.compile(r"[\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
_EAST_ASIAN = {"euc_kr", "cp949", "shift_jis", "cp932", "euc_jp", "gb2312", "gbk", "gb18030", "big5", "iso2022_kr"}


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding) for raw file content; the text is NFC-normalised.

    Order: a byte-order mark, then strict UTF-8, then an East Asian encoding when a detector
    is confident, else Windows-1252 (a superset of Latin-1 for text), which never fails.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _normal(data.decode(name, errors="replace")), name
    try:
        return _normal(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = _detect(data)
    if guess:
        return _normal(data.decode(guess, errors="replace")), guess
    try:
        return _normal(data.decode("cp1252")), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps them to C1 controls.
        return _normal(data.decode("latin-1")), "latin-1"


def _detect(data: bytes) -> str | None:
    """Return an East Asian encoding when charset-normalizer is sure of one.

    A few high bytes in Western text (a '£' in Latin-1) can look like one double-byte character,
    so an East Asian guess needs many high bytes and must decode to mostly CJK characters.
    """
    head = data[:65536]
    if sum(1 for b in head if b >= 0x80) < _MIN_HIGH_BYTES:
        return None
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - declared dependency
        return None
    best = from_bytes(data[:65536]).best()
    if best is None:
        return None
    name = best.encoding.replace("-", "_").lower()
    if name in _EAST_ASIAN and _mostly_cjk(head.decode(name, errors="replace")):
        logger.debug("detected %s", name)
        return name
    return None


def _mostly_cjk(text: str) -> bool:
    """Return True when most non-ASCII characters of the text are CJK, kana or Hangul."""
    wide = [c for c in text if ord(c) >= 0x80]
    cjk = sum(1 for c in wide if _CJK.match(c))
    return cjk >= _MIN_HIGH_BYTES // 2 and cjk >= 0.8 * len(wide)


def _normal(text: str) -> str:
    """NFC-normalise and unify line endings."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def looks_binary(data: bytes) -> bool:
    """Return True when content is not text: NUL bytes outside a UTF-16/32 file."""
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return False
    return b"\x00" in head
