"""SphinxQL connections: one per thread and node, with the coordinator's warnings read after each query.

A coordinator that could not reach a shard still answers, from the shards that did; it says so
only in `SHOW WARNINGS`. Every read goes through `Client.query`, which returns those warnings
with the rows, so no result silently misses a shard.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence

import pymysql

from archive.engine.sphinx.spec import Node
from archive.errors import ArchiveError

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT = 3  # seconds: a node that does not answer by then is down


class NodeDown(ArchiveError):
    """A daemon could not be reached or failed a statement."""

    def __init__(self, node: Node, reason: str):
        super().__init__(f"Sphinx node {node.address} failed: {reason}")
        self.node, self.reason = node, reason


class Client:
    """Run SphinxQL statements on nodes; connections are kept per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _conn(self, node: Node) -> pymysql.connections.Connection:
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(node)
        if conn is None:
            try:
                conn = pymysql.connect(host=node.host, port=node.port, user="", password="", autocommit=True,
                                       connect_timeout=CONNECT_TIMEOUT, charset="utf8")
            except pymysql.MySQLError as exc:
                raise NodeDown(node, _reason(exc)) from exc
            conns[node] = conn
        return conn

    def execute(self, node: Node, sql: str, args: Sequence | None = None, *,
                warnings: bool = False) -> tuple[list[tuple], list[str]]:
        """Run one statement; return (rows, the coordinator's warnings when asked).

        Reconnects once after a lost link.
        """
        for attempt in (1, 2):
            conn = self._conn(node)
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, args)
                    rows = list(cur.fetchall() or ())
                    notes: list[str] = []
                    if warnings:
                        cur.execute("SHOW WARNINGS")
                        notes = [str(r[-1]) for r in cur.fetchall()]
                    return rows, notes
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                self._drop(node)
                if attempt == 2 or not _lost(exc):
                    raise NodeDown(node, _reason(exc)) from exc
            except pymysql.MySQLError as exc:
                raise NodeDown(node, _reason(exc)) from exc
        raise AssertionError("unreachable")

    def _drop(self, node: Node) -> None:
        conns = getattr(self._local, "conns", {})
        conn = conns.pop(node, None)
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken link cannot be closed politely
                pass

    def close(self) -> None:
        """Close this thread's connections."""
        for node in list(getattr(self._local, "conns", {})):
            self._drop(node)


def _lost(exc: Exception) -> bool:
    """Return True for errors of a link that went away (worth one reconnect)."""
    code = exc.args[0] if exc.args else 0
    return code in (0, 2006, 2013) or isinstance(exc, pymysql.err.InterfaceError)


def _reason(exc: Exception) -> str:
    """Return a driver error as a short message."""
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    return re.sub(r"\x00", "", text) or exc.__class__.__name__
