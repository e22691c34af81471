"""Read the cleaning corpus (bench/cleaning/build_corpus.py): documents of labelled lines.

Each document is a plain-text page as a scraper saves it, each line labelled with its kind
(`archive.clean.kinds.CORPUS_KINDS`). A glued line (a boilerplate phrase and an article sentence
saved on one line) carries its pieces as `segments`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.clean.kinds import CONTENT, CORPUS_KINDS

UNSURE = "unsure"


@dataclass
class Piece:
    """A labelled stretch of a document's text: a line, or a segment of a glued line."""

    text: str
    kind: str  # a model kind (archive.clean.kinds.KINDS), or UNSURE
    corpus_kind: str  # the corpus's finer kind (credit, paywall, read_more, ...)
    start: int  # offset in the document's text
    glued: bool = False

    @property
    def boilerplate(self) -> bool:
        """Return True for a boilerplate piece (False for article text and unsure pieces)."""
        return self.kind not in (CONTENT, UNSURE)


@dataclass
class Doc:
    """One corpus document."""

    id: str
    site: str
    split: str
    source: str
    text: str
    lines: list[list[Piece]]  # per non-blank line: one piece, or a glued line's segments
    reference: str = "gold"  # "gold": a reference text; "silver": extractors' agreement

    @property
    def pieces(self) -> list[Piece]:
        """Return every piece in order (a glued line's segments as separate pieces)."""
        return [p for line in self.lines for p in line]


def read_corpus(path: Path) -> Iterator[Doc]:
    """Yield the documents of a corpus.jsonl file."""
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            if raw.strip():
                yield to_doc(json.loads(raw))


def to_doc(rec: dict) -> Doc:
    """Return a document with the offsets of its lines and segments located in its text."""
    text = rec["text"]
    lines: list[list[Piece]] = []
    at = 0
    for line in rec["lines"]:
        start = text.index(line["text"], at)
        segments = line.get("segments") or [line]
        pieces = []
        pos = start
        for seg in segments:
            s = text.index(seg["text"], pos)
            pieces.append(Piece(seg["text"], _model_kind(seg["kind"]), seg["kind"], s, glued=len(segments) > 1))
            pos = s + len(seg["text"])
        lines.append(pieces)
        at = start + len(line["text"])
    return Doc(rec["id"], rec["site"], rec.get("split", "train"), rec.get("source", ""), text, lines,
               rec.get("reference", "gold"))


def _model_kind(kind: str) -> str:
    return UNSURE if kind == UNSURE else CORPUS_KINDS.get(kind, "other")
