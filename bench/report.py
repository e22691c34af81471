"""Turn the measurements into one printed table, the per-query totals, and the targets of issue 8."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

# Why our total can differ from FTS5's, by kind of query (checked by hand; see bench/README.md).
WHY = {
    "single": "apostrophes: FTS5 splits at them ('country'rate' -> country, rate), ours joins the pieces "
              "('countryrate'); the two Porter stemmers also differ on a few words",
    "and": "as for single words",
    "or": "as for single words",
    "not": "a Whoosh AndNot bug keeps a document that has the excluded word (README, finding 2); "
           "apostrophes as for single words",
    "phrase": "apostrophes: ours folds 'minister's' to 'ministers', so \"prime minister\" misses \"prime "
              "minister's\"; FTS5 splits it into 'minister' + 's' and finds it",
    "phrase-common": "as for phrases",
    "proximity": "ours: the words in order with up to N words between; FTS5 NEAR: any order "
                 "('prices for oil' matches); also apostrophes as for phrases",
    "prefix": "ours takes the 50 most frequent words ('+' when capped), FTS5 every word; apostrophes: FTS5 "
              "finds d'Economie under econom*, ours indexes 'deconomie'",
    "fuzzy": "ours counts a swap of two letters as one edit ('interst' for intrest~), the FTS5 expansion "
             "(plain Levenshtein) does not; ours folds 'government's' to 'governments' (2 edits away)",
    "field": "as for single words",
    "date": "as for single words",
}


def explain(row: dict) -> str:
    """Return why the totals of one query agree or differ."""
    if row["ours"] == row["fts5_distinct"]:
        if row["fts5_rows"] != row["fts5_distinct"]:
            return "same texts; FTS5 also counts identical copies (rows)"
        return "same"
    note = WHY.get(row["kind"], "")
    if row["ours_partial"]:
        note = "ours capped (partial); " + note
    return note


def _fmt(v: float | int | None, unit: str = "") -> str:
    if v is None:
        return "n/m"
    if isinstance(v, float):
        if v != v:  # NaN
            return "n/m"
        text = f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    else:
        text = f"{v:,}"
    return text + unit


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}"


def rows_for(name: str, c: dict) -> list[tuple[str, str, str, str]]:
    """Return (figure, ours, FTS5, ours/FTS5) rows for one corpus."""
    b, s = c["build"], c.get("search", {})
    o, f = b["ours"], b["fts5"]
    rows = [
        (f"[{name}] documents", _fmt(b["documents"]), _fmt(f["documents"]), ""),
        (f"ingest docs/s, cleaning included (--full, {o.get('procs', 1)} proc.)", _fmt(o["docs_per_s"]),
         _fmt(f["docs_per_s"]), _ratio(o["docs_per_s"], f["docs_per_s"])),
        ("ingest docs/s, cleaning excluded", _fmt(o["docs_per_s_no_clean"]), _fmt(f["docs_per_s_no_clean"]),
         _ratio(o["docs_per_s_no_clean"], f["docs_per_s_no_clean"])),
        ("ingest docs per CPU-second, cleaning included", _fmt(o["docs_per_cpu_s"]), _fmt(f["docs_per_cpu_s"]),
         _ratio(o["docs_per_cpu_s"], f["docs_per_cpu_s"])),
        ("ingest peak RSS MB", _fmt(o["peak_rss_mb"]), _fmt(f["peak_rss_mb"]),
         _ratio(o["peak_rss_mb"], f["peak_rss_mb"])),
        ("index size MB", _fmt(o["bytes"] / 1e6), _fmt(f["bytes"] / 1e6), _ratio(o["bytes"], f["bytes"])),
    ]
    if "nightly" in c:
        n = c["nightly"]
        rows += [
            ("nightly, nothing changed s", _fmt(n["unchanged_seconds"]), _fmt(n["fts5_rebuild_seconds"]),
             _ratio(n["unchanged_seconds"], n["fts5_rebuild_seconds"])),
            (f"nightly, 1% changed s ({n['changed_files']} files)", _fmt(n["changed_seconds"]),
             _fmt(n["fts5_rebuild_seconds"]), _ratio(n["changed_seconds"], n["fts5_rebuild_seconds"])),
            ("  1%-changed run / full build", f"{n['changed_share_of_full'] * 100:.1f}%", "", ""),
        ]
    if s:
        lat = s["latency"]["overall"]
        for label, ok, fk in (("with snippets", "ours_snippets", "fts5_snippets"),
                              ("no snippets", "ours_plain", "fts5_plain")):
            for p in ("p50", "p95", "p99"):
                rows.append((f"query {p} ms, top 10 {label}", _fmt(lat[ok][p]), _fmt(lat[fk][p]),
                             _ratio(lat[ok][p], lat[fk][p])))
        cpu = s["latency"].get("overall_cpu")
        if cpu:
            for p in ("p50", "p95"):
                rows.append((f"query {p} CPU ms, top 10 with snippets", _fmt(cpu["ours_snippets"][p]),
                             _fmt(cpu["fts5_snippets"][p]), _ratio(cpu["ours_snippets"][p], cpu["fts5_snippets"][p])))
        fd = s["facets_deep"]
        rows += [
            (f"facets p50 ms ('{fd['query']}', {fd['matches']:,} texts)", _fmt(fd["facets_ours"]["p50"]),
             _fmt(fd["facets_fts5"]["p50"]), _ratio(fd["facets_ours"]["p50"], fd["facets_fts5"]["p50"])),
            (f"deep page p50 ms (offset {fd['deep_offset']:,})", _fmt(fd["deep_ours"]["p50"]),
             _fmt(fd["deep_fts5"]["p50"]), _ratio(fd["deep_ours"]["p50"], fd["deep_fts5"]["p50"])),
        ]
    if "web" in c:
        w = c["web"]
        ow, fw = w["ours"], w["fts5"]
        rows += [
            (f"web /search req/s ({ow['clients']} clients, {ow['seconds']:.0f} s)", _fmt(ow["rps"]), _fmt(fw["rps"]),
             _ratio(ow["rps"], fw["rps"])),
            ("web /search p95 ms", _fmt(ow["p95_ms"]), _fmt(fw["p95_ms"]), _ratio(ow["p95_ms"], fw["p95_ms"])),
            ("web errors", _fmt(ow["errors"]), _fmt(fw["errors"]), ""),
            ("server RSS after load MB", _fmt(ow["server_rss_mb"]), _fmt(fw["server_rss_mb"]),
             _ratio(ow["server_rss_mb"], fw["server_rss_mb"])),
        ]
    return rows


def targets(c: dict) -> list[tuple[str, str, bool | None]]:
    """Return issue 8's targets (stated for 100k documents) judged on one corpus's figures."""
    out: list[tuple[str, str, bool | None]] = []
    b, s = c["build"], c.get("search")
    out.append(("ingest >= 500 text docs/s", _fmt(b["ours"]["docs_per_s"]), b["ours"]["docs_per_s"] >= 500))
    if s:
        ours95 = s["latency"]["overall"]["ours_snippets"]["p95"]
        fts95 = s["latency"]["overall"]["fts5_snippets"]["p95"]
        out.append(("query p95 with snippets <= 50 ms", _fmt(ours95), ours95 <= 50))
        out.append(("query p95 with snippets within 3x FTS5", f"{ours95 / fts95:.1f}x", ours95 <= 3 * fts95))
    if "nightly" in c:
        n = c["nightly"]
        out.append(("nightly, nothing changed <= 5 s", _fmt(n["unchanged_seconds"]), n["unchanged_seconds"] <= 5))
        out.append(("nightly, 1% changed <= 5% of a full build", f"{n['changed_share_of_full'] * 100:.1f}%",
                    n["changed_share_of_full"] <= 0.05))
    if "web" in c:
        w = c["web"]["ours"]
        out.append(("server RSS <= 300 MB", _fmt(w["server_rss_mb"]), w["server_rss_mb"] <= 300))
        out.append(("0 errors under load", str(w["errors"]), w["errors"] == 0))
    return out


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Return rows as a Markdown table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(v).ljust(w) for v, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def render(results: dict) -> str:
    """Return the whole printed report: main table, targets, and totals per query."""
    env = results["env"]
    parts = [f"Machine: {env['cpus']} cores, {env.get('cpu_model', '')} ({env['note']}; load average at start "
             f"{env['load_avg_at_start'][0]:.1f}, at end {results.get('load_avg_at_end', [float('nan')])[0]:.1f}); "
             f"Python {env['python']}, SQLite {env['sqlite']}; mode: {results['mode']}, {results['queries']} queries "
             f"x {results['passes']} passes"]
    rows: list[tuple[str, ...]] = []
    for name, c in results["corpora"].items():
        rows += rows_for(name, c)
    parts.append(table(rows, ("figure", "ours", "FTS5", "ours/FTS5")))
    for name, c in results["corpora"].items():
        trows = [(t, v, {True: "met", False: "MISSED", None: "-"}[ok]) for t, v, ok in targets(c)]
        parts.append(f"Targets (issue 8 states them for 100k documents), judged on {name}:\n"
                     + table(trows, ("target", "measured", "")))
    for name, c in results["corpora"].items():
        if "search" not in c:
            continue
        per = c["search"]["latency"]["per_query"]
        qrows = [(r["kind"], r["query"], _fmt(r["ours"]) + ("+" if r["ours_partial"] else ""), _fmt(r["fts5_rows"]),
                  _fmt(r["fts5_distinct"]), _fmt(per[r["query"]]["ours_snippets"]),
                  _fmt(per[r["query"]]["fts5_snippets"]), explain(r)) for r in c["search"]["totals"]]
        parts.append(f"Totals per query on {name} (ours = distinct texts; '+' = expansion capped):\n" + table(
            qrows, ("kind", "query", "ours", "FTS5 rows", "FTS5 distinct", "ours ms", "FTS5 ms", "why they differ")))
    for name, c in results["corpora"].items():
        for engine, w in c.get("web", {}).items():
            if w.get("errors"):
                last = [ln for ln in w.get("server_error", "").splitlines() if ln.strip()][-1:] or ["(no log)"]
                parts.append(f"Web errors on {name} ({engine}): {w['errors']} of {w['requests']} requests, e.g. "
                             f"{', '.join(w['error_examples'][:3])}; server log: {last[0]} "
                             f"(full log: {w['server_log']})")
    for note in results.get("not_measured", []):
        parts.append("Not measured: " + note)
    return "\n\n".join(parts)


def finish(results: dict, render_results: Callable[[dict], str], folder: Path, name: str) -> Path:
    """Stamp the end of a run, print its table and save it as NAME-STAMP.json and .md; return the JSON path."""
    results["load_avg_at_end"] = os.getloadavg()
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = render_results(results)
    print(text)  # noqa: T201 - the benchmark's output
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = folder / f"{name}-{stamp}.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    (folder / f"{name}-{stamp}.md").write_text(text + "\n")
    return path
