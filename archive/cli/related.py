"""`archive similar`: the documents most like one; `archive clusters`: the largest stories, or one's versions."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, load_settings, options
from archive.errors import ArchiveError
from archive.printable import printable


@click.command()
@click.argument("doc_id")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 1000), help="Documents to show.")
@click.option("--other-stories", is_flag=True, help="Leave out the other versions of its story too.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--by", type=click.Choice(["terms", "meaning"]), default="terms", show_default=True,
              help="Shared key terms, or closeness in the meaning model (which always leaves its story out).")
@options
def similar(doc_id: str, limit: int, other_stories: bool, as_json: bool, by: str, index: str | None,
            config_file: str | None, verbose: int) -> None:
    """Show the documents most like one document (by its key terms or by meaning), its own copies left out."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            found = archive.similar(doc_id, limit, exclude_story=other_stories, by=by)
    except ArchiveError as exc:
        fail(exc)
        return
    if found is None:
        raise click.BadParameter(f"no document has the id {doc_id!r}", param_hint="DOC_ID")
    terms, related = found
    if as_json:
        out = {"id": doc_id, "by": by, "terms": terms, "similar": [r.to_dict() for r in related]}
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        click.echo("key terms: " + ", ".join(terms))
        for rank, r in enumerate(related, 1):
            versions = f"  [{r.versions} versions]" if r.versions > 1 else ""
            click.echo(f"\n{rank}. {printable(r.title)}{versions}\n   {r.id} | {printable(r.source)} | "
                       f"{r.date or 'no date'} | score {r.score}")
    sys.exit(0 if related else EXIT_NO_MATCH)


@click.command()
@click.argument("story_id", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="Stories to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@options
def clusters(story_id: str | None, limit: int, as_json: bool, index: str | None, config_file: str | None,
             verbose: int) -> None:
    """List the largest story clusters (near-duplicate versions), or the versions of one story."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            if story_id:
                out: list[dict[str, Any]] = [r.to_dict() for r in archive.story(story_id)]
            else:
                out = [{"story": k, "versions": n} for k, n in archive.largest_stories(limit)]
    except ArchiveError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
    elif story_id:
        for r in out:
            click.echo(f"{r['date'] or 'no date'}  {printable(r['source'])}  {printable(r['title'])}  "
                       f"({r['id']}, {r['copies']} files)")
    else:
        for row in out:
            click.echo(f"{row['versions']:5d}  {row['story']}")
    sys.exit(0 if out else EXIT_NO_MATCH)
