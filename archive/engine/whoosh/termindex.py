"""The term dictionary's hash writer, in flat arrays: about 12 bytes a term until the segment closes.

Whoosh's `OrderedHashWriter` (the `.trm` file of a W3 segment) keeps one `(hash, position)`
tuple in a Python list for every term it has written, until it closes: about 120 bytes a term.
A segment of a million-document build has five million terms, so an indexing process grew by
over half a gigabyte while it wrote its segment. This writer keeps the same two numbers in two
typed arrays per hash bucket and writes each bucket's table in one call. The file is the one
Whoosh writes, byte for byte (tests/test_engine_termindex.py compares them), so Whoosh's reader
reads it unchanged.
"""

from __future__ import annotations

import struct
from array import array
from hashlib import md5

import numpy as np
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash

_POINTER = np.dtype([("hash", ">u4"), ("pos", ">i8")])  # Whoosh's "!Iq" hash table slot
_LENGTHS = struct.Struct("!ii")  # Whoosh's key and value lengths


class TermIndexWriter(OrderedHashWriter):
    """An `OrderedHashWriter` whose hash entries wait in arrays (a hash and a position each)."""

    lastkey: bytes

    def __init__(self, dbfile: object) -> None:
        super().__init__(dbfile)
        self._arrays()

    @classmethod
    def replacing(cls, old: OrderedHashWriter) -> TermIndexWriter:
        """Take over a writer that has written its header and no key yet (a field writer's)."""
        if len(old.index) or any(old.buckets):
            raise ValueError("the hash writer already holds keys")
        new = cls.__new__(cls)
        new.__dict__.update(old.__dict__)  # the same file, header, extras (the field map) and state
        new._arrays()
        return new

    def _arrays(self) -> None:
        self.buckets: list[list[tuple[int, int]]] = []  # Whoosh's lists of tuples: unused
        self._hashes = [array("I") for _ in range(256)]
        self._poses = [array("q") for _ in range(256)]
        self._md5 = self.hashfn is md5_hash

    def add(self, key: bytes, value: bytes) -> None:
        """Write a key and its value (keys in increasing order), remembering its hash and position."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        dbfile = self.dbfile
        pos = dbfile.tell()
        self.index.append(pos)
        dbfile.write(_LENGTHS.pack(len(key), len(value)) + key + value)
        # md5_hash's value (the digest's low 32 bits) without the hex round trip.
        h = (int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big") if self._md5
             else self.hashfn(key))
        self._hashes[h & 255].append(h)
        self._poses[h & 255].append(pos)
        self.lastkey = key

    def _write_hashes(self) -> None:
        """Write the 256 hash tables as Whoosh does: twice as many slots as keys, linear probing."""
        dbfile = self.dbfile
        for hashes, poses in zip(self._hashes, self._poses):
            numslots = 2 * len(hashes)
            self.directory.append((dbfile.tell(), numslots))
            table = np.zeros(numslots, dtype=_POINTER)
            if numslots:
                slots: list[int] = [-1] * numslots
                for k, h in enumerate(hashes):
                    slot = (h >> 8) % numslots
                    while slots[slot] >= 0:
                        slot = (slot + 1) % numslots
                    slots[slot] = k
                filled = np.array(slots)
                used = filled >= 0
                table["hash"][used] = np.frombuffer(hashes, dtype=np.uint32)[filled[used]]
                table["pos"][used] = np.frombuffer(poses, dtype=np.int64)[filled[used]]
            dbfile.write(table.tobytes())
        self._hashes, self._poses = [], []
