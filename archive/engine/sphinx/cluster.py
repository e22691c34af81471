"""Local cluster operations: write each daemon's config, start, stop, kill and inspect the daemons.

Only daemons on this machine (a loopback address or one of its own) are configured, started and
stopped here; `status` asks every node over SphinxQL, wherever it runs. A daemon is identified
by the pid file in its folder and by its command line naming its config, so nothing else that
happens to run `searchd` on the machine is ever signalled.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pymysql
from pymysql.cursors import Cursor

from archive.engine.sphinx import conf
from archive.engine.sphinx.spec import ClusterSpec, Node
from archive.errors import ArchiveError

log = logging.getLogger(__name__)

INSTALL_HINT = "install sphinxsearch (apt-get install -y sphinxsearch)"
START_TIMEOUT = 30.0  # searchd retries a busy port for a while before it gives up
STOP_TIMEOUT = 20.0  # --stopwait flushes the real-time indexes to disk first
LOG_TAIL = 12


@dataclass
class NodeStatus:
    """What one daemon is doing: up or down, its pid and what it holds."""

    address: str
    roles: list[str]
    local: bool
    up: bool
    pid: int | None = None
    shards: list[dict] = field(default_factory=list)  # {"shard", "mirror", "index", "documents"}
    documents: int | None = None  # on the coordinator: the total through the distributed index
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict:
        """Return the status as plain data (for --json)."""
        return asdict(self)


def searchd_binary() -> str:
    """Return the path of searchd ($ARCHIVE_SEARCHD, else on PATH), or raise a fatal error saying how to install it."""
    path = os.environ.get("ARCHIVE_SEARCHD") or shutil.which("searchd") or "/usr/bin/searchd"
    if not os.access(path, os.X_OK) or os.path.isdir(path):
        raise ArchiveError(f"searchd is not installed ({path} is not a program): {INSTALL_HINT}")
    return path


def config_path(spec: ClusterSpec, node: Node) -> Path:
    """Return the config file of a local daemon."""
    return conf.node_folder(spec, node) / "searchd.conf"


def is_local(node: Node) -> bool:
    """Tell whether a node's host is this machine: a loopback address or one we can bind."""
    try:
        infos = socket.getaddrinfo(node.host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    for family, _, _, _, addr in infos:
        host = addr[0]
        if not isinstance(host, str):  # IPv4 and IPv6 addresses, the only ones a host name gives, are text
            continue
        if ipaddress.ip_address(host.split("%")[0]).is_loopback:
            return True
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.bind((host, 0))
            return True
        except OSError:
            continue
    return False


def roles(spec: ClusterSpec, node: Node) -> list[str]:
    """Return what a node is: "coordinator" and/or "shard I mirror J"."""
    out = ["coordinator"] if node == spec.coordinator else []
    out += [f"shard {i} mirror {mirrors.index(node)}" for i, mirrors in enumerate(spec.shards) if node in mirrors]
    return out


def _select(spec: ClusterSpec, nodes: Iterable[Node | str] | None) -> list[Node]:
    """Return the local nodes among `nodes` (default: all of the spec); unknown addresses are an error."""
    every = spec.nodes()
    chosen = every if nodes is None else [n if isinstance(n, Node) else Node.parse(n) for n in nodes]
    for node in chosen:
        if node not in every:
            raise ArchiveError(f"{node.address} is not a node of the cluster "
                               f"(nodes: {', '.join(n.address for n in every)})")
    local = [n for n in chosen if is_local(n)]
    for node in chosen:
        if node not in local:
            log.info("%s is on another host: run its daemon there", node.address)
    return local


def init(spec: ClusterSpec) -> list[Path]:
    """Write the config of every local daemon (idempotent); refuse to change a running daemon's config."""
    plan = []
    for node in _select(spec, None):
        path, text = config_path(spec, node), conf.node_config(spec, node)
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old == text:
            continue
        if node_pid(spec, node):
            raise ArchiveError(f"{node.address} is running with another config: stop it first (archive cluster stop)")
        plan.append((node, path, text, old))
    for node, path, text, old in plan:
        path.parent.mkdir(parents=True, exist_ok=True)
        if old is not None:
            log.warning("%s: config changed; its index data are kept (after a change of the shard map, run "
                        "`archive ingest --full`)", node.address)
        path.write_text(text, encoding="utf-8")
        log.info("wrote %s", path)
    return [config_path(spec, n) for n in _select(spec, None)]


def start(spec: ClusterSpec, nodes: Iterable[Node | str] | None = None, timeout: float = START_TIMEOUT) -> list[Node]:
    """Start the local daemons not running yet; wait until each answers on its SphinxQL port."""
    binary = searchd_binary()
    launched = []
    for node in _select(spec, nodes):
        if node_pid(spec, node):
            log.info("%s is already running", node.address)
            continue
        if answers(node):
            raise ArchiveError(f"Something else answers on {node.address} (not this cluster's daemon): free the port")
        path = config_path(spec, node)
        if not path.is_file():
            raise ArchiveError(f"No config for {node.address} at {path}: run `archive cluster init` first")
        path.parent.mkdir(parents=True, exist_ok=True)
        _launch(binary, path, node)
        launched.append(node)
    deadline = time.monotonic() + timeout
    for node in launched:
        _wait_up(spec, node, deadline)
        log.info("%s is up (pid %s)", node.address, node_pid(spec, node))
    return launched


def _launch(binary: str, path: Path, node: Node) -> None:
    """Run searchd on a config; it detaches at once, so a non-zero exit is a config or startup error."""
    try:
        done = subprocess.run([binary, "--config", str(path)], cwd=path.parent, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArchiveError(f"Cannot run searchd for {node.address}: {exc}") from exc
    if done.returncode:
        said = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip() and "Copyright" not in ln]
        raise ArchiveError(f"searchd for {node.address} failed to start (exit {done.returncode}):\n"
                           + "\n".join(said[-LOG_TAIL:]) + _log_tail(path.parent))


def _wait_up(spec: ClusterSpec, node: Node, deadline: float) -> None:
    """Wait until the node answers; fail with its log's tail if it dies or the deadline passes."""
    folder = conf.node_folder(spec, node)
    while not answers(node):
        if not node_processes(spec, node):  # searchd forks before it reads its indexes: a FATAL ends both
            raise ArchiveError(f"searchd for {node.address} exited during startup" + _log_tail(folder))
        if time.monotonic() > deadline:
            raise ArchiveError(f"searchd for {node.address} does not answer on port {node.port}" + _log_tail(folder))
        time.sleep(0.1)


def _log_tail(folder: Path) -> str:
    try:
        lines = (folder / "searchd.log").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return f"\nlast lines of {folder / 'searchd.log'}:\n" + "\n".join(lines[-LOG_TAIL:])


def stop(spec: ClusterSpec, nodes: Iterable[Node | str] | None = None, timeout: float = STOP_TIMEOUT) -> list[Node]:
    """Stop the local daemons (searchd --stopwait); SIGTERM, then SIGKILL, what outlives the timeout."""
    try:
        binary: str | None = searchd_binary()
    except ArchiveError:
        binary = None  # signals alone stop it
    stopped = []
    for node in _select(spec, nodes):
        pids = node_processes(spec, node)  # the daemon and its watchdog
        if not pids:
            continue
        if binary and node_pid(spec, node):
            try:
                subprocess.run([binary, "--config", str(config_path(spec, node)), "--stopwait"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s: sending SIGTERM", node.address, timeout)
        for sig, wait in ((None, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            pids = _signal(pids, sig)
            if _gone(pids, wait):
                break
        else:
            raise ArchiveError(f"Cannot stop {node.address}: pids {pids} outlive SIGKILL")
        stopped.append(node)
        log.info("%s stopped", node.address)
    return stopped


def _signal(pids: list[int], sig: signal.Signals | None) -> list[int]:
    """Send sig (if any) to the pids still alive; return those."""
    alive = [p for p in pids if _alive(p)]
    if sig is None:
        return alive
    for pid in alive:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return alive


def _gone(pids: list[int], wait: float) -> bool:
    deadline = time.monotonic() + wait
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def kill(spec: ClusterSpec, node: Node | str) -> int:
    """SIGKILL a local daemon by its pid, as a crash would (its watchdog then exits too); return the pid."""
    node = node if isinstance(node, Node) else Node.parse(node)
    pid = node_pid(spec, node)
    if pid is None:
        raise ArchiveError(f"{node.address} is not running")
    os.kill(pid, signal.SIGKILL)
    if not _gone([pid], 10.0):
        raise ArchiveError(f"{node.address} (pid {pid}) outlives SIGKILL")
    log.info("killed %s (pid %d)", node.address, pid)
    return pid


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return not Path("/proc/self").exists()  # without /proc, os.kill is all we have
    return stat.rpartition(")")[2].split()[0] != "Z"


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _runs(pid: int, config: Path) -> bool:
    """Tell whether pid is a live searchd serving this config (a stale pid file may name another process)."""
    if not _alive(pid):
        return False
    args = _cmdline(pid)
    if not args and not Path("/proc/self").exists():
        return True
    if not args or Path(args[0]).name != "searchd":
        return False
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        cwd = None
    return str(config) in args or (cwd == config.parent and config.name in args)


def node_pid(spec: ClusterSpec, node: Node) -> int | None:
    """Return the pid of a local daemon (from its pid file) if it is running, else None."""
    folder = conf.node_folder(spec, node)
    pid = _read_pid(folder / "searchd.pid")
    return pid if pid is not None and _runs(pid, folder / "searchd.conf") else None


def node_processes(spec: ClusterSpec, node: Node) -> list[int]:
    """Return every live searchd process serving this node's config (the daemon and its watchdog)."""
    config = config_path(spec, node)
    found = set()
    own = node_pid(spec, node)
    if own:
        found.add(own)
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else []:
        if entry.name.isdigit() and _runs(int(entry.name), config):
            found.add(int(entry.name))
    return sorted(found)


def processes(spec: ClusterSpec) -> list[int]:
    """Return every live searchd process of the cluster's local daemons."""
    return sorted({pid for node in _select(spec, None) for pid in node_processes(spec, node)})


def connect(node: Node, timeout: float = 2.0) -> pymysql.connections.Connection:
    """Open a SphinxQL connection to a node."""
    return pymysql.connect(host=node.host, port=node.port, user="", password="", autocommit=True,
                           connect_timeout=timeout, read_timeout=30, write_timeout=30)


def answers(node: Node) -> bool:
    """Tell whether the node accepts a SphinxQL connection."""
    try:
        connect(node, timeout=1.0).close()
    except pymysql.MySQLError:
        return False
    return True


def status(spec: ClusterSpec) -> list[NodeStatus]:
    """Return the state of every node: up or down, pid, roles, documents per shard index."""
    out = []
    for node in spec.nodes():
        local = is_local(node)
        st = NodeStatus(node.address, roles(spec, node), local, up=False, pid=node_pid(spec, node) if local else None)
        try:
            conn = connect(node)
        except pymysql.MySQLError as exc:
            st.error = str(exc.args[-1] if exc.args else exc)
            out.append(st)
            continue
        st.up = True
        with conn, conn.cursor() as cur:
            for i, mirrors in enumerate(spec.shards):
                if node in mirrors:
                    st.shards.append({"shard": i, "mirror": mirrors.index(node), "index": spec.shard_index(i),
                                      "documents": _count(cur, spec.shard_index(i), st)})
            if node == spec.coordinator:
                st.documents = _count(cur, spec.distributed, st, attempts=6)
        out.append(st)
    return out


def _count(cur: Cursor, index: str, st: NodeStatus, attempts: int = 1) -> int | None:
    """Count an index's documents; record the engine's warnings (a failed agent) or error on st.

    Through the distributed index, a mirror that just died still fails a few queries before
    the coordinator marks it dead (Sphinx 2.2 retries the same mirror), so a count with
    warnings is asked again a few times.
    """
    try:
        for _ in range(attempts):
            cur.execute(f"SELECT COUNT(*) FROM {index}")
            row = cur.fetchone()
            n = int(row[0]) if row else 0  # COUNT(*) always returns one row
            cur.execute("SHOW WARNINGS")
            warnings = [str(row[-1]) for row in cur.fetchall()]
            if not warnings:
                break
        st.warnings += warnings
        return n
    except pymysql.MySQLError as exc:
        st.error = f"{index}: {exc.args[-1] if exc.args else exc}"
        return None
