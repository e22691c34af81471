"""Measurements common to both engines: child processes with their peak RSS, sizes, latencies."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.ingest.extract import extract_file

BENCH = Path(__file__).resolve().parent


@dataclass
class Run:
    """A finished child process: wall seconds, peak RSS and its output."""

    seconds: float
    cpu_seconds: float  # user + system time of the child: what it cost, whatever else ran
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_child(args: list[str], env: dict | None = None) -> Run:
    """Run a command to its end; return wall time and the child's own peak RSS (from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    # communicate() reaps the child; read the pipes on threads and reap it ourselves with wait4.
    import threading

    out: dict[str, str] = {}
    readers = [threading.Thread(target=lambda k=k, f=f: out.__setitem__(k, f.read()))
               for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    for t in readers:
        t.join()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
               out.get("out", ""), out.get("err", ""))


def archive_cli() -> list[str]:
    """Return the command that runs our CLI with this interpreter."""
    return [sys.executable, "-c", "import sys; from archive.cli import cli; sys.exit(cli())"]


def dir_bytes(path: Path) -> int:
    """Return the bytes of every file under a folder (or of one file)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def clean_pass(corpus: Path, out_jsonl: Path) -> dict:
    """Clean every document with the archive's own pipeline; write them for FTS5; time it."""
    files = sorted(p for p in corpus.rglob("*.txt"))
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    with open(out_jsonl, "w", encoding="utf-8") as out:
        for path in files:
            doc = extract_file(path, collection=corpus.name, root=corpus)
            out.write(json.dumps({"id": doc.id, "title": doc.title, "text": doc.text, "source": doc.source.lower(),
                                  "date": doc.date, "lang": doc.language, "hash": doc.content_hash}) + "\n")
            n += 1
    return {"documents": n, "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}


def percentile(samples: list[float], q: float) -> float:
    """Return the q-th percentile (nearest rank) of samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def latencies(fn: Callable[[], object], passes: int) -> list[float]:
    """Run fn `passes` times; return each call's milliseconds."""
    out = []
    for _ in range(passes):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> dict:
    """Return p50/p95/p99/max of millisecond samples."""
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "p99": percentile(samples, 99),
            "max": max(samples) if samples else float("nan"), "n": len(samples)}


def rss_mb(pid: int) -> dict:
    """Return a live process's resident and peak resident memory in MB (from /proc)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return {"rss_mb": out.get("VmRSS", float("nan")), "peak_rss_mb": out.get("VmHWM", float("nan"))}
