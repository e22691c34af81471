"""`archive cluster init|start|stop|status|config`: run the Sphinx daemons of a local cluster (docs/cluster.md).

Registered on the main group in archive/cli/__init__.py; exit codes of the README ("Exit codes"): 0 ok, 1 some node is
down (status), 2 usage, 3 fatal (searchd missing, a daemon that will not start).
"""

from __future__ import annotations

import json
import sys

import click

from archive.cli.common import load_settings, options
from archive.engine.choice import uses_cluster
from archive.engine.sphinx import cluster as ops
from archive.engine.sphinx import conf
from archive.engine.sphinx.spec import ClusterSpec, Node
from archive.errors import ArchiveError

EXIT_DOWN = 1


def _spec(index: str | None, config_file: str | None, verbose: int) -> ClusterSpec:
    """Return the cluster of the settings; a usage error when none is configured."""
    settings = load_settings(index, config_file, verbose)
    if not uses_cluster(settings) and not settings.cluster:
        raise click.UsageError(f"the engine is {settings.engine!r} and there is no [cluster] table: "
                               'set engine = "sphinx" and describe the cluster in the config file (docs/cluster.md)')
    return ClusterSpec.from_settings(settings.cluster, settings.index)


def _nodes(spec: ClusterSpec, values: tuple[str, ...]) -> list[Node] | None:
    """Return the nodes named on the command line (None: all); a usage error for any other address."""
    return _named(spec, values) or None


def _named(spec: ClusterSpec, values: tuple[str, ...]) -> list[Node]:
    """Return the nodes of these addresses; a usage error for an address not in the cluster."""
    try:
        nodes = [Node.parse(v) for v in values]
    except ArchiveError as exc:
        raise click.BadParameter(str(exc), param_hint="NODE") from exc
    for node in nodes:
        if node not in spec.nodes():
            raise click.BadParameter(f"{node.address} is not a node of the cluster (nodes: "
                                     f"{', '.join(n.address for n in spec.nodes())})", param_hint="NODE")
    return nodes


@click.group()
def cluster() -> None:
    """Run a local Sphinx cluster: write the daemons' configs, start, stop, show status."""


@cluster.command()
@options
def init(index: str | None, config_file: str | None, verbose: int) -> None:
    """Write each local daemon's config (idempotent); prints the config files."""
    spec = _spec(index, config_file, verbose)
    for path in ops.init(spec):
        click.echo(str(path))
    remote = [n.address for n in spec.nodes() if not ops.is_local(n)]
    if remote:
        click.echo(f"remote nodes (print their configs with `archive cluster config NODE`): {', '.join(remote)}",
                   err=True)


@cluster.command()
@click.argument("nodes", nargs=-1, metavar="[NODE]...")
@click.option("--timeout", default=ops.START_TIMEOUT, show_default=True, type=click.FloatRange(1),
              help="Seconds to wait for each daemon.")
@options
def start(nodes: tuple[str, ...], timeout: float, index: str | None, config_file: str | None, verbose: int) -> None:
    """Start the local daemons (all, or the NODEs given as host:port) and wait until they answer."""
    spec = _spec(index, config_file, verbose)
    started = ops.start(spec, _nodes(spec, nodes), timeout=timeout)
    click.echo(f"started {len(started)} daemon(s)" + (": " + ", ".join(n.address for n in started) if started else ""),
               err=True)


@cluster.command()
@click.argument("nodes", nargs=-1, metavar="[NODE]...")
@click.option("--timeout", default=ops.STOP_TIMEOUT, show_default=True, type=click.FloatRange(1),
              help="Seconds to wait before SIGTERM, then SIGKILL.")
@options
def stop(nodes: tuple[str, ...], timeout: float, index: str | None, config_file: str | None, verbose: int) -> None:
    """Stop the local daemons (all, or the NODEs given as host:port)."""
    spec = _spec(index, config_file, verbose)
    stopped = ops.stop(spec, _nodes(spec, nodes), timeout=timeout)
    click.echo(f"stopped {len(stopped)} daemon(s)" + (": " + ", ".join(n.address for n in stopped) if stopped else ""),
               err=True)


@cluster.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per node.")
@options
def status(as_json: bool, index: str | None, config_file: str | None, verbose: int) -> None:
    """Show which nodes are up, their roles and pids, and the documents of each shard index.

    Exit codes: 0 every node answers; 1 some node is down.
    """
    spec = _spec(index, config_file, verbose)
    nodes = ops.status(spec)
    if as_json:
        click.echo(json.dumps([n.to_dict() for n in nodes], indent=1))
    else:
        _table(nodes)
    down = [n for n in nodes if not n.up]
    click.echo(f"{len(nodes) - len(down)} of {len(nodes)} nodes up", err=True)
    if down and any(n.local for n in down):
        try:
            ops.searchd_binary()
        except ArchiveError as exc:
            click.echo(f"note: {exc}", err=True)
    sys.exit(EXIT_DOWN if down else 0)


def _table(nodes: list[ops.NodeStatus]) -> None:
    rows = [("NODE", "ROLE", "STATE", "PID", "DOCUMENTS")]
    for n in nodes:
        docs = [str(s["documents"]) if s["documents"] is not None else "?" for s in n.shards]
        if n.documents is not None:
            docs.append(f"{n.documents} in all")
        pid = str(n.pid) if n.pid else ("-" if n.local else "remote")
        rows.append((n.address, ", ".join(n.roles), "up" if n.up else "down", pid, " + ".join(docs) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4])
    for n in nodes:
        for note in ([n.error] if n.error else []) + n.warnings:
            click.echo(f"{n.address}: {note}", err=True)


@cluster.command("config")
@click.argument("node")
@options
def config_cmd(node: str, index: str | None, config_file: str | None, verbose: int) -> None:
    """Print the config of one daemon (for a node on another host, or a systemd unit)."""
    spec = _spec(index, config_file, verbose)
    wanted = _named(spec, (node,))[0]
    click.echo(conf.node_config(spec, wanted), nl=False)
