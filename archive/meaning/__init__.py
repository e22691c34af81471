"""Search by meaning: a latent semantic model (TF-IDF, then a truncated SVD) trained on the archive itself.

`model.py` trains, stores and loads the model beside the index; `build.py` keeps it current after
each ingest (updated with the new texts, or retrained when much has changed); `rank.py` ranks
texts by closeness to a query or to another document. Nothing is downloaded: the model knows only
the archive's own words (docs/meaning.md).
"""
