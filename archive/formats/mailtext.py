"""Split a message body into its own words and what it repeats: quoted replies and the signature."""

from __future__ import annotations

import re

from archive.documents import Removed
from archive.formats.textutil import join_lines

_ATTRIBUTION = re.compile(r"^(on\b.{0,200}\bwrote:|.{0,120}\b(wrote|schrieb|a écrit|escribió):)\s*$",
                          re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(original message|forwarded message|ursprüngliche nachricht)\s*-{2,}\s*$",
                       re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s?$")

QUOTE_REASON = "quoted reply"
ORIGINAL_REASON = "quoted original message"
SIGNATURE_REASON = "e-mail signature"


def split_body(body: str) -> tuple[str, list[Removed]]:
    """Return (text, removed): paragraphs of the message's own lines; quotes and signature removed."""
    lines = body.split("\n")
    labels = _label(lines)
    text, removed = "", []
    paragraph: list[str] = []
    block: list[str] = []
    block_reason, block_start, offset = "", 0, 0

    def close_paragraph() -> None:
        nonlocal text
        joined = join_lines(paragraph)
        if joined:
            text = f"{text}\n\n{joined}" if text else joined
        paragraph.clear()

    def close_block() -> None:
        nonlocal block_reason
        if block and "\n".join(block).strip():
            removed.append(Removed("\n".join(block).strip("\n"), block_reason, start=block_start, at=len(text)))
        block.clear()
        block_reason = ""

    for line, label in zip(lines, labels):
        if label:
            if label != block_reason:
                close_paragraph()
                close_block()
                block_reason, block_start = label, offset
            block.append(line)
        else:
            close_block()
            if line.strip():
                paragraph.append(line)
            else:
                close_paragraph()
        offset += len(line) + 1
    close_paragraph()
    close_block()
    return text, removed


def _label(lines: list[str]) -> list[str]:
    """Return, for each line, the reason it is removed, or ''."""
    labels = [""] * len(lines)
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line):  # Outlook-style: everything below is the message replied to
            labels[i:] = [ORIGINAL_REASON] * (len(lines) - i)
            break
        if line.lstrip().startswith(">"):
            labels[i] = QUOTE_REASON
    _mark_attributions(lines, labels)
    sig = _signature_start(lines, labels)
    if sig is not None:
        labels[sig:] = [labels[j] or SIGNATURE_REASON for j in range(sig, len(lines))]
    return labels


def _mark_attributions(lines: list[str], labels: list[str]) -> None:
    """Mark "On <date>, <name> wrote:" (one or two lines) before a quote as part of the quote."""
    for i, label in enumerate(labels):
        if label != QUOTE_REASON or (i and labels[i - 1]):
            continue
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j < 0:
            continue
        one = lines[j].strip()
        two = f"{lines[j - 1].strip()} {one}" if j >= 1 and lines[j - 1].strip() else ""
        if two and not labels[j - 1] and two.lower().startswith("on ") and _ATTRIBUTION.match(two):
            labels[j - 1:i] = [QUOTE_REASON] * (i - j + 1)  # "On <date>, <name>" / "wrote:" wrapped
        elif _ATTRIBUTION.match(one):
            labels[j:i] = [QUOTE_REASON] * (i - j)


def _signature_start(lines: list[str], labels: list[str]) -> int | None:
    """Return the index of the last "-- " separator among the message's own lines, if any."""
    for i in range(len(lines) - 1, -1, -1):
        if not labels[i] and _SIGNATURE.match(lines[i]):
            return i
    return None
