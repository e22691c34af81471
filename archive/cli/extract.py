"""`archive extract`: print the cleaned text of files as ingest would index it, without indexing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.cli.common import load_settings
from archive.documents import Document
from archive.errors import ArchiveError
from archive.ingest import IngestReport, collections_for
from archive.ingest.extract import extract_documents
from archive.ingest.learnt import LearntLines
from archive.ingest.walk import walk_relative
from archive.printable import printable


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
def extract(paths: tuple[str, ...], as_json: bool, verbose: int) -> None:
    """Print the cleaned text of files (and what was removed, with --json) without indexing.

    Every format ingest reads is read here the same way (PDF, Word, OpenDocument, EPUB, e-mail,
    archives: one record per document), with the boilerplate lines ingest learnt for the file's
    folder, so what is printed is what ingest indexes.
    """
    settings = load_settings(None, None, verbose)
    report = IngestReport()
    learnt = LearntLines(settings.index)
    failed = 0
    for coll in collections_for(list(paths), settings):
        for path, relpath in walk_relative(coll, settings, report):
            try:
                docs, problems = extract_documents(Path(path), collection=coll.name, root=coll.root,
                                                   max_bytes=settings.max_bytes, ocr=settings.ocr,
                                                   learnt=learnt.for_file(coll.name, relpath))
            except ArchiveError as exc:
                click.echo(f"archive: {printable(path)}: {printable(exc)}", err=True)
                failed += 1
                continue
            for problem in problems:
                what = "skipped" if problem.skipped else "failed"
                click.echo(f"archive: {what} {printable(path + problem.subpath)}: {printable(problem.reason)}",
                           err=True)
                failed += not problem.skipped
            for doc in docs:
                _print_extracted(doc, as_json)
    for p in report.skipped:
        click.echo(f"archive: skipped {printable(p.path)}: {printable(p.reason)}", err=True)
    sys.exit(1 if failed else 0)


def _print_extracted(doc: Document, as_json: bool) -> None:
    if as_json:
        out = {k: getattr(doc, k) for k in ("path", "relpath", "title", "source", "date", "date_source", "url",
                                            "language", "encoding", "format", "text")}
        out["removed"] = [{"text": r.text, "reason": r.reason} for r in doc.removed]
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        part = doc.relpath[len(doc.meta.get("source_relpath") or doc.relpath):]  # "!/member", "#message"
        p = printable
        click.echo(f"# {p(doc.title)}\n{p(doc.source)} | {doc.date} ({doc.date_source}) | {doc.language} | "
                   f"{p(doc.path + part)}\n")
        click.echo(doc.text + "\n")
