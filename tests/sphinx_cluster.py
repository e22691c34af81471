"""A real Sphinx cluster on loopback for tests: 2 shards, shard 0 with two mirrors, shard 1 with one.

Function scope (a fresh cluster per test; conftest.py registers this module as a plugin):

    def test_x(sphinx_cluster):
        settings, spec = sphinx_cluster          # Settings (engine "sphinx") and the ClusterSpec

Module or session scope (ingest once, query many times):

    from sphinx_cluster import running_cluster

    @pytest.fixture(scope="module")
    def cluster(tmp_path_factory):
        with running_cluster(tmp_path_factory.mktemp("cluster"), shards=[2, 1]) as cluster:
            yield cluster                        # a LocalCluster: unpacks as (settings, spec) too

    cluster.settings(index)          # the settings with another index folder (same cluster)
    cluster.kill(shard=0, mirror=1)  # SIGKILL one daemon, as a crash would; cluster.start() restarts it

The settings file is FOLDER/archive.toml (`cluster.config_file`), the index FOLDER/index and
the daemons' folders FOLDER/cluster/HOST-PORT. Teardown stops every daemon of the cluster and
SIGKILLs, by pid, any that outlive the stop (a test may have killed one already).
"""

from __future__ import annotations

import os
import random
import signal
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from needs import tool

from archive import config
from archive.config import Settings
from archive.engine.sphinx import cluster
from archive.engine.sphinx.spec import ClusterSpec, Node
from archive.errors import ArchiveError

PORTS = (19000, 29999)  # each node takes port (SphinxQL) and port + 1 (API)
CONFIG_NAME = "archive.toml"
ATTEMPTS = 3  # fresh ports after a collision with another process


def require_searchd() -> None:
    """Fail the test when Sphinx is not installed (`make test` installs it)."""
    tool("searchd", "sphinxsearch")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Return `count` random base ports in PORTS whose port and port + 1 are both free on 127.0.0.1."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randrange(PORTS[0], PORTS[1] - 1, 2)
        if port not in chosen and _free(port) and _free(port + 1):
            chosen.append(port)
    return chosen


def write_config(folder: Path, shards: Sequence[int] = (2, 1), name: str = "archive") -> Path:
    """Write FOLDER/archive.toml: engine "sphinx", a coordinator and shards with these many mirrors each."""
    folder.mkdir(parents=True, exist_ok=True)
    ports = free_ports(1 + sum(shards))
    coordinator, rest = ports[0], iter(ports[1:])
    addresses = [[f"127.0.0.1:{next(rest)}" for _ in range(m)] for m in shards]
    shard_lines = ", ".join("[" + ", ".join(f'"{a}"' for a in s) + "]" for s in addresses)
    path = folder / CONFIG_NAME
    path.write_text(f'engine = "sphinx"\nindex = "index"\n\n[cluster]\ncoordinator = "127.0.0.1:{coordinator}"\n'
                    f'shards = [{shard_lines}]\ndata = "cluster"\nname = "{name}"\n', encoding="utf-8")
    return path


def config_file(settings: Settings) -> Path:
    """Return the settings file of a test cluster (for `archive --config`)."""
    return Path(settings.index).parent / CONFIG_NAME


@dataclass
class LocalCluster:
    """A running test cluster; unpacks as (settings, spec)."""

    base: Settings
    spec: ClusterSpec
    config_file: Path

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.base, self.spec))

    def settings(self, index: Path | str | None = None) -> Settings:
        """Return the settings of this cluster, with another index folder if given."""
        return replace(self.base, index=Path(index) if index is not None else self.base.index,
                       cluster=dict(self.base.cluster))

    def node(self, shard: int, mirror: int = 0) -> Node:
        """Return one mirror of one shard."""
        return self.spec.shards[shard][mirror]

    def kill(self, node: Node | str | None = None, *, shard: int | None = None, mirror: int = 0) -> int:
        """SIGKILL a daemon (a node, or shard/mirror) as a crash would; return its pid."""
        return cluster.kill(self.spec, node if node is not None else self.node(shard or 0, mirror))

    def start(self, nodes: Sequence[Node | str] | None = None) -> list[Node]:
        """Start the daemons that are down (all, or these); return those started."""
        return cluster.start(self.spec, nodes)


def teardown(spec: ClusterSpec) -> None:
    """Stop every daemon of the cluster; SIGKILL by pid whatever outlives the stop."""
    try:
        cluster.stop(spec, timeout=10)
    finally:
        for pid in cluster.processes(spec):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@contextmanager
def running_cluster(folder: Path, shards: Sequence[int] = (2, 1)) -> Iterator[LocalCluster]:
    """Write the settings, init and start the cluster; yield it (it unpacks as (settings, spec)).

    Stops it all afterwards.
    """
    require_searchd()
    for attempt in range(ATTEMPTS):
        path = write_config(folder, shards)
        settings = config.load(path)
        spec = ClusterSpec.from_settings(settings.cluster, settings.index)
        try:
            cluster.init(spec)
            cluster.start(spec)
            break
        except ArchiveError:
            teardown(spec)
            if attempt == ATTEMPTS - 1:
                raise
    try:
        yield LocalCluster(settings, spec, path)
    finally:
        teardown(spec)


@pytest.fixture
def sphinx_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A fresh running cluster of 2 shards (shard 0 mirrored), stopped after the test; unpacks as (settings, spec)."""
    with running_cluster(tmp_path) as running:
        yield running
