"""The Whoosh schema: two analysed fields each for title and body (DESIGN.md §3), metadata as ids."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, STORED, Schema

from archive.engine.whoosh.analysis import exact_analyzer, stemmed_analyzer
from archive.engine.whoosh.fields import PairsField, WordsField

TITLE_BOOST = 2.0


def run_id_field() -> ID:
    """Return the field of the ingest run that added or last changed a document."""
    return ID(stored=True, sortable=True)


def build_schema() -> Schema:
    """Return the schema every index of this version uses."""
    return Schema(
        id=ID(stored=True, unique=True),
        collection=ID(stored=True, sortable=True),
        # Filters and facets use a lower-cased key; `source_name` keeps the spelling to show.
        source=ID(sortable=True),
        source_name=STORED,
        lang=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),  # YYYY-MM-DD sorts as text
        year=ID(sortable=True),
        month=ID(sortable=True),  # YYYY-MM, for timelines
        content_hash=ID(stored=True, sortable=True),
        story=ID(stored=True, sortable=True),  # near-duplicate cluster label (archive/clusters.py)
        # Unquoted words: stemmed, no positions (phrases use the exact fields).
        title=WordsField(True, analyzer=stemmed_analyzer(), phrase=False, stored=True, field_boost=TITLE_BOOST),
        body=WordsField(True, analyzer=stemmed_analyzer(), phrase=False),
        # Quoted phrases and proximity: folded, unstemmed, with positions.
        title_exact=WordsField(False, analyzer=exact_analyzer(), phrase=True, field_boost=TITLE_BOOST),
        body_exact=WordsField(False, analyzer=exact_analyzer(), phrase=True),
        # Adjacent exact words as one term, for phrases (archive/engine/whoosh/phrases.py).
        title_pairs=PairsField(analyzer=exact_analyzer()),
        body_pairs=PairsField(analyzer=exact_analyzer()),
        path=STORED,
        # Kept, not searched: a term each would cost as much as the id's (about 150 bytes a document
        # in postings and the term dictionary). Indexes made before keep them indexed, unused.
        relpath=STORED,
        url=STORED,
        text=STORED,
        removed=STORED,  # JSON list of {text, reason, start, at}
        date_source=STORED,
        # The source file's size and mtime, kept for ingest to compare and never searched: as NUMERIC
        # fields they cost 24 terms a document (64-bit trie terms), 18 % of a segment's terms and
        # of the time to write them. Indexes made before keep them indexed, unused.
        size=STORED,
        mtime_ns=STORED,
        ingested_at=STORED,
        pipeline=STORED,
        encoding=STORED,
        # One source file may give several documents (messages, archive members, Reuters items).
        file_id=STORED,  # kept, not searched (as `relpath`)
        source_relpath=STORED,  # the file's path in its collection, without the part's subpath
        format=ID(stored=True, sortable=True),
        meta=STORED,  # JSON: pages, from, to, subject, topics, parent, children, attachments...
        sender=KEYWORD(lowercase=True, commas=True),  # from: address, name and the address's user
        recipients=KEYWORD(lowercase=True, commas=True),  # to: and cc:
        topics=KEYWORD(lowercase=True, commas=True),
        places=KEYWORD(lowercase=True, commas=True),
        run_id=run_id_field(),  # the ingest run that added or last changed the document (issue 12)
    )
