"""The cluster's shape, from the settings: a coordinator and shards, each with one or more mirrors.

    engine = "sphinx"
    [cluster]
    coordinator = "127.0.0.1:9306"
    shards = [["127.0.0.1:9312", "127.0.0.1:9314"], ["127.0.0.1:9316"]]   # shard 0 is mirrored
    data = "cluster"      # local daemons' configs, logs, pid files and index data (`archive cluster`)
    name = "archive"      # index names: archive (distributed), archive_s0, archive_s1, ...

A node's address is its SphinxQL (mysql41) listener; its API listener, which the coordinator's
distributed index uses to reach it, is the next port.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from archive.errors import ArchiveError

DEFAULT_COORDINATOR = "127.0.0.1:9306"


@dataclass(frozen=True)
class Node:
    """One searchd daemon."""

    host: str
    port: int  # SphinxQL (mysql41) listener

    @property
    def api_port(self) -> int:
        """Return the port of its Sphinx API listener (what agents are reached on)."""
        return self.port + 1

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Node:
        """Parse "host:port"; raise ArchiveError with a plain message otherwise."""
        host, _, port = str(text).strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65535:
            raise ArchiveError(f"Cannot read the cluster node address {text!r}: "
                               "expected host:port, e.g. 127.0.0.1:9312")
        return cls(host, int(port))


@dataclass
class ClusterSpec:
    """The coordinator, the shards (each a list of mirrors) and where local daemons keep their files."""

    coordinator: Node
    shards: list[list[Node]]
    data: Path
    name: str = "archive"
    options: dict = field(default_factory=dict)

    @property
    def distributed(self) -> str:
        """Return the name of the coordinator's distributed index."""
        return self.name

    def shard_index(self, shard: int) -> str:
        """Return the name of the real-time index every mirror of this shard holds."""
        return f"{self.name}_s{shard}"

    def nodes(self) -> list[Node]:
        """Return every daemon: the coordinator, then each shard's mirrors."""
        out = [self.coordinator]
        for mirrors in self.shards:
            out += [n for n in mirrors if n not in out]
        return out

    def shard_of(self, key: str) -> int:
        """Return the shard a document belongs to: a stable hash of its routing key."""
        return int(hashlib.blake2b(key.encode(), digest_size=8).hexdigest(), 16) % len(self.shards)

    @classmethod
    def from_settings(cls, cluster: dict, index: Path) -> ClusterSpec:
        """Build the spec from the `[cluster]` settings table; the data folder defaults to INDEX/cluster."""
        cluster = dict(cluster or {})
        known = {"coordinator", "shards", "data", "name"}
        unknown = set(cluster) - known
        if unknown:
            raise ArchiveError(f"Unknown cluster setting(s) {', '.join(sorted(unknown))} "
                               f"(known: {', '.join(sorted(known))})")
        shards_raw = cluster.get("shards") or [["127.0.0.1:9312"]]
        if not isinstance(shards_raw, list) or not all(isinstance(s, (list, str)) for s in shards_raw):
            raise ArchiveError("cluster.shards must be a list of shards, each a list of mirror addresses")
        shards = [[Node.parse(a) for a in ([s] if isinstance(s, str) else s)] for s in shards_raw]
        if any(not mirrors for mirrors in shards):
            raise ArchiveError("every cluster shard needs at least one node")
        name = str(cluster.get("name") or "archive")
        if not name.isidentifier():
            raise ArchiveError(f"cluster.name must be a plain identifier, not {name!r}")
        data = Path(cluster.get("data") or Path(index) / "cluster")
        return cls(Node.parse(cluster.get("coordinator") or DEFAULT_COORDINATOR), shards, data, name)
