"""A local Sphinx cluster for the benchmark: a coordinator and one searchd per shard on loopback.

The daemons are written, started and stopped by `archive/engine/sphinx/cluster.py`, as
`archive cluster init|start|stop` does; this module only picks free ports and measures them.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import time
from pathlib import Path

from measure import rss_mb

from archive.config import Settings
from archive.engine.sphinx import cluster
from archive.engine.sphinx.engine import SphinxEngine
from archive.engine.sphinx.spec import ClusterSpec


def free_ports(count: int) -> list[int]:
    """Return `count` loopback ports in 30000-39999, each free together with the next one (its API port)."""
    found: list[int] = []
    candidates = list(range(30000, 39998, 2))
    random.Random(os.getpid() ^ int(time.time())).shuffle(candidates)
    for port in candidates:
        try:
            for p in (port, port + 1):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError("no free port pairs in 30000-39999")


class LocalCluster:
    """A coordinator and one daemon per shard on loopback; data, configs and pid files under `data`."""

    def __init__(self, data: Path, shards: int):
        ports = free_ports(shards + 1)
        self.data = data.absolute()
        self.table = {"coordinator": f"127.0.0.1:{ports[0]}", "shards": [[f"127.0.0.1:{p}"] for p in ports[1:]],
                      "data": str(self.data)}
        self.spec = ClusterSpec.from_settings(self.table, self.data)

    def settings(self, index: Path) -> Settings:
        """Return the archive settings of an index folder whose documents live in this cluster."""
        return Settings(index=index, engine="sphinx", cluster=dict(self.table))

    def config_file(self, index: Path, path: Path) -> Path:
        """Write an archive.toml for `archive ingest --config` and return its path."""
        shards = ", ".join("[" + ", ".join(f'"{a}"' for a in m) + "]" for m in self.table["shards"])
        path.write_text(f'index = "{index.absolute()}"\nengine = "sphinx"\n\n[cluster]\n'
                        f'coordinator = "{self.table["coordinator"]}"\nshards = [{shards}]\ndata = "{self.data}"\n')
        return path

    def start(self) -> None:
        """Start the cluster in a fresh data folder (`archive cluster init` and `start`): each daemon answers after."""
        shutil.rmtree(self.data, ignore_errors=True)
        cluster.init(self.spec)
        cluster.start(self.spec)

    def pids(self) -> dict[str, int]:
        """Return each running daemon's pid, by node address."""
        pids = {node.address: cluster.node_pid(self.spec, node) for node in self.spec.nodes()}
        return {address: pid for address, pid in pids.items() if pid}

    def role(self, address: str) -> str:
        """Return "coordinator" or "shard N" for a node address."""
        if address == self.table["coordinator"]:
            return "coordinator"
        return next(f"shard {i}" for i, m in enumerate(self.table["shards"]) if address in m)

    def rss(self) -> dict[str, float]:
        """Return each daemon's resident memory in MB (VmRSS), by role."""
        return {self.role(a): rss_mb(pid)["rss_mb"] for a, pid in self.pids().items()}

    def cpu_seconds(self) -> float:
        """Return the CPU seconds (user + system) the daemons have used so far."""
        total = 0
        for pid in self.pids().values():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    def index_bytes(self) -> int:
        """Return the shards' index size: disk plus RAM chunks (the engine's own figure)."""
        return SphinxEngine(self.data, self.spec).data_bytes()

    def stop(self) -> None:
        """Stop every daemon of the cluster (`archive cluster stop`)."""
        cluster.stop(self.spec)
