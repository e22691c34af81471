"""A local Sphinx cluster for the benchmark: a coordinator and one searchd per shard on loopback.

Configs come from `archive/engine/sphinx/conf.py`; each daemon is started with `searchd --config`
and stopped with `searchd --config ... --stopwait` (which reads its pid file).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

from measure import rss_mb

from archive.config import Settings
from archive.engine.sphinx import conf
from archive.engine.sphinx.client import Client
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
        self.started: list[Path] = []

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
        """Write each daemon's config into a fresh data folder and start it; wait until it answers."""
        shutil.rmtree(self.data, ignore_errors=True)
        for node in reversed(self.spec.nodes()):  # shards before the coordinator
            folder = conf.node_folder(self.spec, node)
            folder.mkdir(parents=True)
            cfg = folder / "searchd.conf"
            cfg.write_text(conf.node_config(self.spec, node))
            run = subprocess.run(["searchd", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
            if run.returncode:
                self.stop()
                raise RuntimeError(f"searchd on {node.address} did not start: {run.stdout[-800:]}{run.stderr[-800:]}")
            self.started.append(cfg)
        client = Client()
        try:
            for node in self.spec.nodes():
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.execute(node, "SHOW STATUS")
                        break
                    except Exception:  # noqa: BLE001 - still starting
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
        finally:
            client.close()

    def pids(self) -> dict[str, int]:
        """Return each running daemon's pid (from its pid file), by node address."""
        out = {}
        for node in self.spec.nodes():
            pid_file = conf.node_folder(self.spec, node) / "searchd.pid"
            if pid_file.is_file() and pid_file.read_text().strip().isdigit():
                out[node.address] = int(pid_file.read_text().strip())
        return out

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
        """Return the shards' index size: disk plus RAM chunks, from SHOW INDEX STATUS."""
        client, size = Client(), 0
        try:
            for i, mirrors in enumerate(self.spec.shards):
                rows = client.execute(mirrors[0], f"SHOW INDEX {self.spec.shard_index(i)} STATUS")[0]
                status = {str(k): str(v) for k, v in rows}
                size += int(status.get("disk_bytes", 0)) + int(status.get("ram_bytes", 0))
        finally:
            client.close()
        return size

    def stop(self) -> None:
        """Stop every daemon this object started (searchd --stopwait reads its pid file)."""
        for cfg in self.started:
            subprocess.run(["searchd", "--config", str(cfg), "--stopwait"], capture_output=True, timeout=60)
        self.started = []
