"""A researcher's marks on documents: tags and notes, kept in SQLite beside the index.

`store.py` keeps them (keyed by the document's id, which is made from its collection and path,
so they survive `archive ingest --full`); `search.py` turns `tag:NAME` and `has:note` in a query
into the texts of the marked documents; `status.py` says which marked documents changed since
they were marked and which are gone from the index (orphaned, never dropped).
"""
