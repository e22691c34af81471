"""Counts in words: "1 document matches", "2 documents match", "1 occurrence"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str = "") -> str:
    """Return the number with its noun in the right number: count(1, "document") -> '1 document'."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def match(n: int) -> str:
    """Return the verb after a count of documents: '1 document matches', '3 documents match'."""
    return "matches" if n == 1 else "match"
