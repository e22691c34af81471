"""`archive tag` and `archive note`: a researcher's tags and notes on documents.

Marks live in a SQLite file beside the index (archive/marks/store.py) and survive re-indexing,
`ingest --full` included. Listings give each document's state: `ok`, `changed` (its file changed
since it was marked; the marks stay) or `orphaned` (deleted from the index; the marks stay
until removed). `archive tag export NAME` writes the tagged set as an export does.
"""

from __future__ import annotations

import getpass
import json
import sys

import click

from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, load_settings, options
from archive.documents import Document
from archive.errors import ArchiveError, BadQuery
from archive.exports import COLUMNS, export_rows, write_rows
from archive.marks.status import MarkedState, states
from archive.marks.store import tag_name
from archive.printable import printable


def _author(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _document(archive: Archive, doc_id: str) -> Document:
    doc = archive.get(doc_id)
    if doc is None:
        raise BadQuery(f"No document with id {doc_id!r} (ids are listed by archive search --json)")
    return doc


def _state_rows(archive: Archive, tag: str | None = None, notes_only: bool = False) -> list[MarkedState]:
    with archive.marks() as marks:
        marked = marks.documents(tag)
    if notes_only:
        marked = [m for m in marked if m.notes]
    return states(marked, archive.get)


def _row(st: MarkedState) -> dict:
    m = st.marked
    return {"id": m.doc_id, "path": m.path, "title": st.title, "state": st.state,
            "tags": [t.tag for t in m.tags],
            "notes": [{"id": n.id, "text": n.text, "author": n.author, "created": n.created} for n in m.notes]}


def _print_states(rows: list[MarkedState], as_json: bool, notes: bool) -> None:
    if as_json:
        click.echo(json.dumps([_row(st) for st in rows], ensure_ascii=False, indent=1))
        return
    for st in rows:
        m = st.marked
        flag = "" if st.state == "ok" else f"  [{st.state}]"
        click.echo(f"{m.doc_id}  {printable(st.title)}  | {printable(m.path)}{flag}")
        if notes:
            for n in m.notes:
                click.echo(f"   #{n.id} {n.author} {n.created}: {printable(n.text)}")
        else:
            click.echo("   tags: " + ", ".join(t.tag for t in m.tags))
    orphaned = sum(st.state == "orphaned" for st in rows)
    if orphaned:
        click.echo(f"{orphaned} orphaned: no longer in the index; their marks are kept", err=True)


@click.group()
def tag() -> None:
    """Tags on documents: add, remove, list, and export a tagged set (search with tag:NAME)."""


@tag.command("add")
@click.argument("doc_id")
@click.argument("names", nargs=-1, required=True)
@click.option("--author", help="Who tags (default: the login name).")
@options
def tag_add(doc_id: str, names: tuple[str, ...], author: str | None, index: str | None,
            config_file: str | None, verbose: int) -> None:
    """Tag the document DOC_ID with one or more NAMES."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive, archive.marks(readonly=False) as marks:
            doc = _document(archive, doc_id)
            for name in names:
                added = marks.add_tag(doc, name, _author(author))
                click.echo(f"{'tagged' if added else 'already tagged'} {doc.id} {tag_name(name)}", err=True)
    except ArchiveError as exc:
        fail(exc)


@tag.command("remove")
@click.argument("doc_id")
@click.argument("names", nargs=-1, required=True)
@options
def tag_remove(doc_id: str, names: tuple[str, ...], index: str | None, config_file: str | None,
               verbose: int) -> None:
    """Remove NAMES from the document DOC_ID (an orphaned document's tags too). Exit 1 if it had none of them."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive, archive.marks(readonly=False) as marks:
            removed = [name for name in names if marks.remove_tag(doc_id, name)]
    except ArchiveError as exc:
        fail(exc)
        return
    for name in names:
        click.echo(f"{'removed' if name in removed else 'not tagged'} {doc_id} {name}", err=True)
    sys.exit(0 if removed else EXIT_NO_MATCH)


@tag.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: id, path, title, state, tags, notes.")
@options
def tag_list(name: str | None, as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """List tagged documents (those with NAME only, when given), each as ok, changed or orphaned."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            rows = [st for st in _state_rows(archive, name) if st.marked.tags]
    except ArchiveError as exc:
        fail(exc)
        return
    _print_states(rows, as_json, notes=False)


@tag.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@options
def tag_export(name: str, fmt: str, index: str | None, config_file: str | None, verbose: int) -> None:
    """Write every document tagged NAME as CSV or JSON Lines (the columns of archive search --format)."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            written = write_rows(sys.stdout, fmt, COLUMNS, export_rows(archive, f"tag:{tag_name(name)}"))
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(f"{written} tagged {name}", err=True)
    sys.exit(0 if written else EXIT_NO_MATCH)


@click.group()
def note() -> None:
    """Notes on documents: add, list, remove (search with has:note)."""


@note.command("add")
@click.argument("doc_id")
@click.argument("text")
@click.option("--author", help="Who writes (default: the login name).")
@options
def note_add(doc_id: str, text: str, author: str | None, index: str | None, config_file: str | None,
             verbose: int) -> None:
    """Add a note with TEXT to the document DOC_ID; print its number."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive, archive.marks(readonly=False) as marks:
            added = marks.add_note(_document(archive, doc_id), text, _author(author))
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(added.id)


@note.command("list")
@click.argument("doc_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: id, path, title, state, tags, notes.")
@options
def note_list(doc_id: str | None, as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """List documents with notes (DOC_ID's only, when given), each as ok, changed or orphaned."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            rows = [st for st in _state_rows(archive, notes_only=True) if doc_id in (None, st.marked.doc_id)]
    except ArchiveError as exc:
        fail(exc)
        return
    _print_states(rows, as_json, notes=True)


@note.command("remove")
@click.argument("note_id", type=int)
@options
def note_remove(note_id: int, index: str | None, config_file: str | None, verbose: int) -> None:
    """Remove the note numbered NOTE_ID. Exit 1 if there is none."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive, archive.marks(readonly=False) as marks:
            removed = marks.remove_note(note_id)
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(f"{'removed' if removed else 'no'} note #{note_id}", err=True)
    sys.exit(0 if removed else EXIT_NO_MATCH)
