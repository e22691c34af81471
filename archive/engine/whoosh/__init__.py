"""The Whoosh engine: the only package that imports Whoosh (DESIGN.md §1)."""
