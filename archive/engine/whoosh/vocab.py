"""The words of a field in memory, per index generation: prefix expansion and document frequencies.

Expanding `pro*` (or `goverment~`) walked each segment's term file and then asked each segment for the document
frequency of every word found (to keep the 50 most common): thousands of lookups through
Whoosh's file tables. A generation's words never change, so each field's sorted words and their
document frequencies (summed over segments, deleted documents included, as Whoosh counts them)
are read once and kept; a prefix is then a bisection and a frequency a dictionary lookup.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict

from whoosh.codec.base import Automata
from whoosh.reading import IndexReader

MAX_KEPT = 8  # (generation, field) vocabularies kept


class Vocabulary:
    """The sorted words of one field and each word's document frequency."""

    def __init__(self, reader: IndexReader, fieldname: str):
        df: dict[str, int] = {}
        for sub, _ in reader.leaf_readers():
            if fieldname not in sub.schema or not hasattr(sub, "iter_field"):
                continue
            for btext, info in sub.iter_field(fieldname):
                text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
                if "'" in text:  # a possessive: its plain word, at the same positions, stands for it
                    continue
                df[text] = df.get(text, 0) + info.doc_frequency()
        self.df = df
        self.words = sorted(df)

    def prefixed(self, prefix: str) -> list[str]:
        """Return the words that start with a prefix, in order."""
        lo = bisect.bisect_left(self.words, prefix)
        hi = lo
        while hi < len(self.words) and self.words[hi].startswith(prefix):
            hi += 1
        return self.words[lo:hi]

    def within(self, word: str, distance: int, prefix: int = 0) -> list[str]:
        """Return the words within an edit distance (a swap of two letters is one edit), in order.

        The same walk as Whoosh's `terms_within` (its Levenshtein automaton, skipping through
        the sorted words), over the words in memory instead of a segment's term file.
        """
        words = self.words
        if not words:
            return []
        dfa = Automata.levenshtein_dfa(word, distance, prefix)
        out = []
        match = dfa.next_valid_string(words[0])
        while match:
            i = bisect.bisect_left(words, match)
            if i == len(words):
                break
            term = words[i]
            if match == term:
                out.append(match)
                term += "\0"
            match = dfa.next_valid_string(term)
        return out


_kept: OrderedDict[tuple, Vocabulary] = OrderedDict()
_lock = threading.Lock()


def vocabulary(reader: IndexReader, fieldname: str) -> Vocabulary:
    """Return the vocabulary of a field for the reader's generation, reading it on first use."""
    key = (fieldname, tuple(_segment_id(sub) for sub, _ in reader.leaf_readers()))
    with _lock:
        got = _kept.get(key)
        if got is not None:
            _kept.move_to_end(key)
            return got
    got = Vocabulary(reader, fieldname)
    with _lock:
        _kept[key] = got
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return got


def _segment_id(reader: IndexReader) -> object:
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else id(reader)
