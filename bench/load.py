"""A bounded HTTP load on 127.0.0.1: N client threads for a fixed time, then the server's RSS."""

from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from measure import percentile, rss_mb

HOST = "127.0.0.1"  # loopback only: the load never leaves this machine


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def server(args: list[str], port: int, log: Path, ready_path: str = "/",
           timeout: float = 60.0) -> Iterator[subprocess.Popen]:
    """Start a server process (its output goes to `log`), wait until it answers, and stop it afterwards."""
    out = open(log, "w")
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", ready_path)
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def run_load(port: int, paths: list[str], seconds: float, clients: int = 4) -> dict:
    """GET the paths round-robin from `clients` threads for `seconds`; return rate, latency and errors."""
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    samples: list[float] = []
    errors: list[str] = []

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        i = k
        mine: list[float] = []
        try:
            while time.monotonic() < stop_at:
                path = paths[i % len(paths)]
                i += clients
                start = time.perf_counter()
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status != 200:
                        with lock:
                            errors.append(f"{resp.status} {path}")
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__} {path}")
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                mine.append((time.perf_counter() - start) * 1000)
        finally:
            conn.close()
            with lock:
                samples.extend(mine)

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {"requests": len(samples), "seconds": elapsed, "rps": len(samples) / elapsed,
            "p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95),
            "errors": len(errors), "error_examples": errors[:5], "clients": clients}


def measure_server(args: list[str], port: int, paths: list[str], seconds: float, log: Path) -> dict:
    """Start a server, load it, and report the load's figures with the server's memory after it.

    The server's log is kept; the last lines of its first error are in the result.
    """
    with server(args, port, log) as proc:
        result = run_load(port, paths, seconds)
        result.update({f"server_{k}": v for k, v in rss_mb(proc.pid).items()})
    text = log.read_text(errors="replace")
    first = text.find("Traceback")
    result["server_log"] = str(log)
    result["server_error"] = text[first:].split("\nERROR", 1)[0][-1500:] if first >= 0 else ""
    return result
