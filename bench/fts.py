"""The SQLite FTS5 baseline: the same cleaned documents, the same queries, what a user would pick instead.

Two FTS5 tables over one `docs` table (external content, so the text is stored once):
`porter` (porter unicode61) for unquoted words and `exact` (unicode61) for phrases, proximity,
prefixes and fuzzy words, as DESIGN.md §10 asks. Ranking is `bm25()`, snippets `snippet()`.

Run as a script to build a database in its own process (so its peak RSS is its own) or to serve
search pages over HTTP for the web load:
    python bench/fts.py build DOCS.jsonl DB
    python bench/fts.py serve DB PORT QUERIES.txt
"""

from __future__ import annotations

import html
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

SCHEMA = """
CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT, title TEXT, body TEXT, source TEXT, date TEXT,
                  lang TEXT, hash TEXT);
CREATE VIRTUAL TABLE porter USING fts5(title, body, content='docs', content_rowid='rowid',
                                       tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE exact USING fts5(title, body, content='docs', content_rowid='rowid',
                                      tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE exact_vocab USING fts5vocab(exact, 'row');
"""
MAX_EXPANSION = 50  # the same cap as ours (archive/engine/whoosh/compile.py)


@dataclass(frozen=True)
class Spec:
    """One benchmark query: its kind, our syntax, and the FTS5 table, MATCH and SQL filter."""

    kind: str
    ours: str
    table: str
    match: str
    where: str = ""


def load_queries(path: Path) -> list[Spec]:
    """Read bench/queries.txt."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(Spec(*line.split("\t")))
    return out


def iter_docs(path: Path) -> Iterator[dict]:
    """Yield the cleaned documents written by the cleaning pass (one JSON object a line)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def build(docs_path: Path, db_path: Path) -> dict:
    """Build the FTS5 database from cleaned documents; return documents and seconds."""
    start = time.perf_counter()
    db_path.unlink(missing_ok=True)
    con = sqlite3.connect(db_path)
    try:
        con.executescript(SCHEMA)
        rows = ((d["id"], d["title"], d["text"], d["source"], d["date"], d["lang"], d["hash"])
                for d in iter_docs(docs_path))
        with con:
            con.executemany("INSERT INTO docs(id, title, body, source, date, lang, hash) VALUES (?,?,?,?,?,?,?)", rows)
            for table in ("porter", "exact"):
                con.execute(f"INSERT INTO {table}(rowid, title, body) SELECT rowid, title, body FROM docs")
        count = con.execute("SELECT count(*) FROM docs").fetchone()[0]
    finally:
        con.close()
    return {"documents": count, "seconds": time.perf_counter() - start}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Return the Levenshtein distance of two words, or limit + 1 once it is certainly larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


class FTS:
    """A read-only connection to a baseline database."""

    def __init__(self, db_path: Path):
        self.con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self._vocab: list[tuple[str, int]] | None = None

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def vocabulary(self) -> list[tuple[str, int]]:
        """Return the exact table's words and document counts (loaded once, as a reader keeps its terms)."""
        if self._vocab is None:
            self._vocab = self.con.execute("SELECT term, doc FROM exact_vocab").fetchall()
        return self._vocab

    def match_expr(self, spec: Spec) -> str:
        """Return the MATCH expression, expanding `fuzzy:word:distance` from the vocabulary."""
        if not spec.match.startswith("fuzzy:"):
            return spec.match
        _, word, dist = spec.match.split(":")
        d = int(dist)
        # The same rule as ours: words longer than 3 letters keep their first letter.
        first = word[0] if len(word) > 3 else ""
        found = [(t, n) for t, n in self.vocabulary() if t.startswith(first) and edit_distance(word, t, d) <= d]
        found.sort(key=lambda tn: -tn[1])
        words = [t for t, _ in found[:MAX_EXPANSION]] or [word]
        return " OR ".join(f'"{w}"' for w in words)

    def _from(self, spec: Spec) -> str:
        where = f" AND ({spec.where})" if spec.where else ""
        return f"FROM {spec.table} JOIN docs d ON d.rowid = {spec.table}.rowid WHERE {spec.table} MATCH ?{where}"

    def totals(self, spec: Spec, match: str | None = None) -> tuple[int, int]:
        """Return (matching rows, distinct texts among them)."""
        sql = f"SELECT count(*), count(DISTINCT d.hash) {self._from(spec)}"
        rows, distinct = self.con.execute(sql, (match or self.match_expr(spec),)).fetchone()
        return rows, distinct

    def search(self, spec: Spec, *, limit: int = 10, offset: int = 0, snippets: bool = True) -> tuple[int, list]:
        """Return (distinct texts, page of hits): what our search returns, the FTS5 way."""
        match = self.match_expr(spec)
        _, distinct = self.totals(spec, match)
        t = spec.table
        snip = f"snippet({t}, 1, '<mark>', '</mark>', '…', 16)" if snippets else "''"
        sql = (f"SELECT d.id, d.title, {snip}, bm25({t}) {self._from(spec)} "
               f"ORDER BY bm25({t}) LIMIT ? OFFSET ?")
        return distinct, self.con.execute(sql, (match, limit, offset)).fetchall()

    def facets(self, spec: Spec) -> dict[str, dict[str, int]]:
        """Count distinct texts per source, year, language and month over all matches, as ours does."""
        sql = f"SELECT d.source, d.date, d.lang, d.hash {self._from(spec)}"
        seen: dict[str, dict[str, set]] = {"source": {}, "year": {}, "lang": {}, "month": {}}
        for source, date, lang, h in self.con.execute(sql, (self.match_expr(spec),)):
            for name, value in (("source", source), ("year", date[:4]), ("lang", lang), ("month", date[:7])):
                if value:
                    seen[name].setdefault(value, set()).add(h)
        return {name: {v: len(hs) for v, hs in values.items()} for name, values in seen.items()}


def make_app(db_path: Path, specs: list[Spec]) -> WSGIApplication:
    """Return a WSGI app serving /search?i=N: total, facets and ten hits with snippets, as HTML."""
    local = threading.local()  # one connection per server thread

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            if not hasattr(local, "fts"):
                local.fts = FTS(db_path)
            fts = local.fts
            i = int(parse_qs(environ.get("QUERY_STRING", "")).get("i", ["0"])[0])
            spec = specs[i % len(specs)]
            total, hits = fts.search(spec)
            facets = fts.facets(spec)
            parts = [f"<h1>{total} results for {html.escape(spec.ours)}</h1><ul>"]
            parts += [f"<li>{html.escape(k)}: {n}</li>" for k, n in facets["source"].items()]
            parts.append("</ul><ol>")
            parts += [f"<li><b>{html.escape(title)}</b><p>{snip}</p></li>" for _id, title, snip, _s in hits]
            body = ("<!doctype html><html><body>" + "".join(parts) + "</ol></body></html>").encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]
        except Exception as exc:  # noqa: BLE001 - the load counts a 500 as an error
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [str(exc).encode()]

    return app


def main(argv: list[str]) -> None:
    """Command line: build or serve."""
    if argv[0] == "build":
        print(json.dumps(build(Path(argv[1]), Path(argv[2]))))
    elif argv[0] == "serve":
        import waitress

        app = make_app(Path(argv[1]), load_queries(Path(argv[3])))
        waitress.serve(app, host="127.0.0.1", port=int(argv[2]), threads=8, ident="fts5")
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
