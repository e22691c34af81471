"""What the command line says: counts in the right number, help that names files that exist, new syntax."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _archive(*args: str) -> subprocess.CompletedProcess:
    command = Path(sys.executable).parent / "archive"  # the installed command, as users run it
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=120)


def test_search_help_names_no_file_missing_from_the_repository():
    proc = _archive("search", "--help")
    assert proc.returncode == 0, proc.stderr
    for name in re.findall(r"[\w./-]+\.md\b", proc.stdout):
        assert (ROOT / name).is_file(), name
    assert "DESIGN.md" not in proc.stdout and "w/N" in proc.stdout


def test_search_says_one_document_matches(sample_index):
    # "Hyesan OR Pyongyang" and narrower: find a query with exactly one result through --json, then print it
    data = json.loads(_archive("search", "--index", str(sample_index), "--json", "title:semiconductor").stdout)
    query = next(h["title"] for h in data["hits"])
    one = json.loads(_archive("search", "--index", str(sample_index), "--json", f'title:"{query}"').stdout)
    assert one["total"] == 1, one
    proc = _archive("search", "--index", str(sample_index), f'title:"{query}"')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 document matches ")
    many = _archive("search", "--index", str(sample_index), "oil")
    assert re.match(r"\d+ documents match ", many.stdout)


def test_kwic_counts_are_in_the_right_number(sample_index):
    proc = _archive("kwic", "--index", str(sample_index), "--format", "jsonl", "Hyesan")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\d+ occurrences? in \d+ documents? \(\d+ documents? match(es)?\)", proc.stderr)
    assert not re.search(r"\b1 (occurrences|documents)\b", proc.stderr)
    assert not re.search(r"\b1 documents? match\b", proc.stderr)


def test_web_page_says_one_document_matches(client, sample_index):
    data = client.get("/api/search", query_string={"q": "title:semiconductor"}).get_json()
    title = data["hits"][0]["title"]
    page = client.get("/search", query_string={"q": f'title:"{title}"'}).get_data(as_text=True)
    assert re.search(r'<span id="total">1</span> document matches', page)
    assert "Download the result:" in page and "Download all 1" not in page
