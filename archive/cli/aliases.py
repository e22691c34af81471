"""`archive aliases suggest`: spellings of one name found in the archive; `accept`: add groups to the aliases file."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import TextIO

import click

from archive import plural
from archive.archive import Archive
from archive.cli.common import EXIT_NO_MATCH, fail, load_settings, options
from archive.errors import ArchiveError
from archive.printable import printable


@click.group()
def aliases() -> None:
    """Name variants: find spellings of one name in the archive, and accept them as aliases."""


@aliases.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"groups": [{"variants": [...], "evidence": [...]}]}.')
@click.option("--min-count", default=1, show_default=True, type=click.IntRange(1),
              help="Leave out spellings that occur fewer times than this.")
@options
def suggest(as_json: bool, min_count: int, index: str | None, config_file: str | None, verbose: int) -> None:
    """Propose groups of spellings of one name (romanizations of Hangul, romanization rules, near spellings
    in like contexts), with counts, example lines and the evidence; groups already in the aliases file are left out."""
    settings = load_settings(index, config_file, verbose)
    try:
        with Archive(settings) as archive:
            groups = archive.name_variants(min_count)
    except ArchiveError as exc:
        fail(exc)
        return
    if as_json:
        click.echo(json.dumps({"groups": [g.to_dict() for g in groups]}, ensure_ascii=False, indent=1))
    else:
        for g in groups:
            click.echo(printable(g.line()))
            for v in g.variants:
                click.echo(f"  {printable(v['name'])}: {plural.count(v['count'], 'time')} in "
                           f"{plural.count(v['documents'], 'document')}, "
                           f"e.g. {printable(v['example'])}")
            for e in g.evidence:
                rest = ", ".join(f"{k} {v}" for k, v in e.items() if k not in ("between", "kind"))
                why = f"  why: {printable(' ~ '.join(e['between']))}: {e['kind']}"
                click.echo(why + (f" ({rest})" if rest else ""))
        if groups:
            click.echo('\nAccept a group with: archive aliases accept "A = B = C"', err=True)
    sys.exit(0 if groups else EXIT_NO_MATCH)


@aliases.command()
@click.argument("groups", nargs=-1)
@click.option("--file", "path", type=click.Path(dir_okay=False),
              help="The aliases file to add to (default: the `aliases` setting).")
@click.option("--from-json", "from_json", type=click.File("r"),
              help="Accept every group of a saved `aliases suggest --json` output.")
@options
def accept(groups: tuple[str, ...], path: str | None, from_json: TextIO | None, index: str | None,
           config_file: str | None, verbose: int) -> None:
    """Add groups of names ("A = B = C") to the aliases file; a name already there joins its group."""
    settings = load_settings(index, config_file, verbose)
    target = path or str(settings.aliases or "")
    if not target or target.lower() in ("off", "none", "false"):
        raise click.UsageError("Name the aliases file with --file (or set `aliases` in archive.toml).")
    new = [[n.strip() for n in g.split("=") if n.strip()] for g in groups]
    if from_json is not None:
        new += [[v["name"] for v in g["variants"]] for g in json.load(from_json)["groups"]]
    if not new:
        raise click.UsageError("Give at least one group, e.g. \"Chongjin = Cheongjin = 청진\".")
    try:
        added = add_groups(Path(target), new)
    except ArchiveError as exc:
        fail(exc)
        return
    click.echo(f"{added} name(s) added to {target}")


def add_groups(path: Path, groups: list[list[str]]) -> int:
    """Merge groups into an aliases file (its opening comments kept); return how many names were new."""
    header, existing = "", []
    if path.exists():
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ArchiveError(f"Cannot read the aliases file {path}: {exc}") from exc
        lines = text.splitlines()
        opening = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), len(lines))
        header = "".join(line + "\n" for line in lines[:opening])
        existing = [[n.strip() for n in (e.split("=") if isinstance(e, str) else e)] for e in data.get("aliases", [])]
    folded = [{_fold(n) for n in g} for g in existing]
    added = 0
    for names in groups:
        keys = {_fold(n) for n in names}
        hit = next((i for i, f in enumerate(folded) if f & keys), None)
        if hit is None:
            existing.append([])
            folded.append(set())
            hit = len(existing) - 1
        for n in names:
            if _fold(n) not in folded[hit]:
                existing[hit].append(n)
                folded[hit].add(_fold(n))
                added += 1
    header = header or "# Equivalent names: a query for any name of a group also finds the others (README, aliases).\n"
    body = "aliases = [\n" + "".join(f"  {json.dumps(' = '.join(g), ensure_ascii=False)},\n" for g in existing) + "]\n"
    path.write_text(header + body, encoding="utf-8")
    return added


def _fold(name: str) -> str:
    from archive.names.variants import key_of

    return key_of(name)
