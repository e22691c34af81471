"""The search engine seam: the only package that imports Whoosh (DESIGN.md §1)."""

from archive.engine.whoosh_engine import FACET_FIELDS, SORTS, FileState, WhooshEngine

__all__ = ["FACET_FIELDS", "SORTS", "FileState", "WhooshEngine"]
