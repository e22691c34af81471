"""A bounded load on loopback while a nightly ingest runs: searches, page views and exports, 0 errors."""

from __future__ import annotations

import http.client
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from serving import serve
from serving import stop as stop_server

from archive.config import Settings
from archive.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["oil", '"oil prices"', "border", "interest rates", "econom*", "title:hyesan", "date:>=2021", "the"]


def _serve(index: Path) -> tuple[str, object, object]:
    return serve(Settings(index=index), threads=6)


def _client(host: str, stop: threading.Event, results: list, errors: list) -> None:
    conn = http.client.HTTPConnection(host, timeout=60)
    rng = random.Random()
    while not stop.is_set():
        q = quote(rng.choice(QUERIES))
        path = rng.choice([f"/search?q={q}", f"/api/search?q={q}", f"/export.csv?q={q}", f"/search?q={q}&page=2",
                           f"/search?q={q}&sort=newest&timeline=share"])
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            if response.status >= 500:
                errors.append(f"{path}: {response.status} {body[:200]!r}")
            elif path.startswith("/api/") and b'"total"' not in body:
                errors.append(f"{path}: no total")
            results.append(response.status)
            if path.startswith("/search") and b"/doc/" in body:
                doc = body.split(b'href="/doc/', 1)[1].split(b'"', 1)[0].decode()
                conn.request("GET", "/doc/" + doc)
                page = conn.getresponse()
                page.read()
                if page.status >= 500:
                    errors.append(f"/doc/{doc}: {page.status}")
                results.append(page.status)
        except Exception as exc:  # noqa: BLE001 - every failure counts as an error of the run
            errors.append(f"{path}: {type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection(host, timeout=60)
    conn.close()


def test_load_during_an_ingest_has_no_errors(tmp_path, samples_dir, bbc_dir):
    index = tmp_path / "index"
    assert not ingest([str(samples_dir)], Settings(index=index)).failed
    nightly = tmp_path / "nightly"
    nightly.mkdir()
    for i, f in enumerate(sorted((bbc_dir / "business").glob("*.txt"))[:150]):
        shutil.copy(f, nightly / f"n{i:04d}.txt")
    host, server, app = _serve(index)
    stop, results, errors = threading.Event(), [], []
    clients = [threading.Thread(target=_client, args=(host, stop, results, errors)) for _ in range(4)]
    for c in clients:
        c.start()
    config = tmp_path / "archive.toml"
    config.write_text("batch_size = 25\n")
    proc = subprocess.run([sys.executable, str(ROOT / "ingest.py"), "--index", str(index), "--config", str(config),
                           str(samples_dir), str(nightly)], capture_output=True, text=True, timeout=600)
    time.sleep(2)  # a last round of requests that see the finished ingest
    stop.set()
    for c in clients:
        c.join(timeout=120)
    stop_server(server)
    app.extensions["archive"].close()
    assert proc.returncode == 0, proc.stderr
    print(f"load: {len(results)} requests, {len(errors)} errors")
    assert not errors, errors[:5]
    assert len(results) > 20
