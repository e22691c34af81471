"""Crash safety and concurrency with real processes: kill -9 loops, searches during ingest and swaps."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from indexes import index_state

from archive.archive import Archive
from archive.config import Settings
from archive.engine.whoosh.engine import WhooshEngine
from archive.ingest import ingest
from archive.ingest.manifest import Manifest

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("harbour", "cargo", "crane", "ferry", "strike", "tariff", "storm", "pilot", "quay", "berth", "tug", "wharf")


def write_article(path: Path, n: int, version: int = 0) -> None:
    rng = random.Random(n * 1000 + version)
    body = " ".join(rng.choice(WORDS) for _ in range(60))
    path.write_text(f"Harbour bulletin {n} edition {version}\n\nDockers reported {body} on shift {n}.\n\n"
                    f"The harbour master said {' '.join(rng.choice(WORDS) for _ in range(40))}.\n")


def make_corpus(root: Path, count: int) -> Path:
    for n in range(count):
        sub = root / f"d{n % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        write_article(sub / f"f{n:04d}.txt", n)
    return root


def start_ingest(index: Path, src: Path, config: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "ingest.py"), "--config", str(config), "--index",
                             str(index), *extra, str(src)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def mutate(src: Path, rng: random.Random, round_: int) -> None:
    """Change, delete and add a few files, as a nightly feed does between runs."""
    files = sorted(src.rglob("*.txt"))
    for f in rng.sample(files, 5):
        write_article(f, int("".join(c for c in f.stem if c.isdigit())), version=round_)
    for f in rng.sample(files, 2):
        f.unlink(missing_ok=True)
    for k in range(3):
        write_article(src / "d0" / f"new{round_:02d}{k}.txt", 5000 + round_ * 10 + k)


def test_kill_9_loop_then_normal_run_equals_a_fresh_build(tmp_path):
    src = make_corpus(tmp_path / "src", 200)
    config = tmp_path / "archive.toml"
    # --full rounds use Whoosh's multiprocess writer: its workers must die with the killed run
    # (else they hold the lock and the next round exits 75).
    config.write_text("batch_size = 10\nfull_procs = 2\n")
    index = tmp_path / "ix"
    rng = random.Random(7)
    kills, stale_manifests, round_ = 0, 0, 0
    while kills < 12 and round_ < 60:  # runs that finish before their kill do not count
        round_ += 1
        mutate(src, rng, round_)
        proc = start_ingest(index, src, config, *(["--full"] if round_ % 4 == 3 else []))
        try:
            proc.wait(timeout=rng.uniform(0.3, 3.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        proc.stderr.close()
        assert proc.returncode in (0, -signal.SIGKILL), proc.returncode
        if WhooshEngine.exists(index):  # the index opens at its last commit, and the manifest never lies
            engine = WhooshEngine(index)
            try:
                ids = set(engine.states())
                with Manifest(index) as manifest:  # as the next run opens it
                    if manifest.stamp() == engine.stamp():
                        assert set(manifest.entries()) == ids
                    else:
                        stale_manifests += 1
            finally:
                engine.close()
    assert kills >= 10
    final = subprocess.run([sys.executable, str(ROOT / "ingest.py"), "--config", str(config), "--index", str(index),
                            str(src)], capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    fresh = tmp_path / "fresh"
    ingest([str(src)], Settings(index=fresh))
    assert index_state(index) == index_state(fresh)
    assert len(index_state(index)) == len(list(src.rglob("*.txt")))
    assert not list(tmp_path.glob(".ix.full-*"))
    print(f"kill -9 loop: {kills} kills in {round_} runs, {stale_manifests} stale manifests rebuilt; "
          "final index equals a fresh build")


class Searching:
    """Search in a loop from threads (one shared facade) and from separate processes, counting errors."""

    def __init__(self, index: Path):
        self.index, self.stop = index, threading.Event()
        self.errors: list[str] = []
        self.totals: list[int] = []
        self.process_runs = 0
        self.threads = [threading.Thread(target=self._in_thread) for _ in range(2)]
        self.threads.append(threading.Thread(target=self._in_processes))

    def __enter__(self) -> Searching:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()

    def _in_thread(self) -> None:
        with Archive(Settings(index=self.index)) as archive:
            while not self.stop.is_set():
                try:
                    self.totals.append(archive.search("harbour dockers").total)
                except Exception as exc:  # noqa: BLE001 - counted, and the test fails on any
                    self.errors.append(f"{type(exc).__name__}: {exc}")

    def _in_processes(self) -> None:
        while not self.stop.is_set():
            proc = subprocess.run([sys.executable, "-c", "from archive.cli import cli; cli()", "search", "--count",
                                   "--index", str(self.index), "harbour"], capture_output=True, text=True, timeout=120)
            self.process_runs += 1
            if proc.returncode != 0:
                self.errors.append(f"search process exited {proc.returncode}: {proc.stderr.strip()}")


def test_searches_during_ingest_and_full_swap_see_no_errors(tmp_path):
    src = make_corpus(tmp_path / "src", 120)
    index = tmp_path / "ix"
    first = tmp_path / "first"
    make_corpus(first, 5)
    ingest([str(first)], Settings(index=index))
    config = tmp_path / "archive.toml"
    config.write_text("batch_size = 10\n")
    with Searching(index) as searching:
        for extra in ((), ("--full",)):
            proc = start_ingest(index, src, config, *extra)
            _, stderr = proc.communicate(timeout=600)
            assert proc.returncode == 0, stderr
    print(f"concurrent searches: {len(searching.totals)} in threads, {searching.process_runs} processes, "
          f"{len(searching.errors)} errors")
    assert searching.errors == [], "\n".join(searching.errors)
    with Archive(Settings(index=index)) as archive:
        assert archive.search("harbour dockers").total == 120
    assert len(set(searching.totals)) > 2  # new documents became visible after commits, during the run
