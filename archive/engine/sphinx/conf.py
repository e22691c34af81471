"""Sphinx configuration text: each shard's real-time index and the coordinator's distributed index.

The fields hold the archive's own tokens, already analysed and encoded (`tokens.py`), so the
index needs no morphology, stop words or n-grams of its own: its charset is exactly the
encoding's alphabet, case-sensitive.
"""

from __future__ import annotations

from pathlib import Path

from archive.engine.sphinx.spec import ClusterSpec, Node

# Stored attributes: strings are capped at 4 MB by Sphinx 2.2 (longer ones are cut silently, so
# the engine refuses them); the document itself is stored compressed in `doc`.
STRING_ATTRS = ("doc_id", "content_hash", "source", "source_name", "lang", "year", "month", "date", "collection",
                "story", "run_id", "file_relpath", "pipeline", "doc")
BIGINT_ATTRS = ("size", "mtime_ns", "written", "day")  # day: YYYYMMDD, 0 when undated
UINT_ATTRS = ("dup",)  # 1 when the text has copies elsewhere in the cluster (DESIGN.md §6)
FIELDS = ("title", "body", "title_stem", "body_stem", "keys")


def rt_index(name: str, path: Path) -> str:
    """Return the block of one shard's real-time index."""
    lines = [f"index {name}", "{", "    type = rt", f"    path = {path}"]
    lines += [f"    rt_field = {f}" for f in FIELDS]
    lines += [f"    rt_attr_string = {a}" for a in STRING_ATTRS]
    lines += [f"    rt_attr_bigint = {a}" for a in BIGINT_ATTRS]
    lines += [f"    rt_attr_uint = {a}" for a in UINT_ATTRS]
    lines += ["    dict = keywords", "    min_prefix_len = 1", "    min_word_len = 1", "    index_field_lengths = 1",
              "    charset_table = 0..9, a..z, A..Z", "    rt_mem_limit = 256M", "}"]
    return "\n".join(lines) + "\n"


def distributed_index(spec: ClusterSpec) -> str:
    """Return the coordinator's distributed index: one agent line per shard, mirrors joined by |."""
    lines = [f"index {spec.distributed}", "{", "    type = distributed"]
    for i, mirrors in enumerate(spec.shards):
        lines.append("    agent = " + "|".join(f"{n.host}:{n.api_port}" for n in mirrors) + f":{spec.shard_index(i)}")
    lines += ["    agent_connect_timeout = 500", "    agent_query_timeout = 10000", "    ha_strategy = nodeads", "}"]
    return "\n".join(lines) + "\n"


def searchd(node: Node, folder: Path) -> str:
    """Return the searchd block of one daemon keeping its files in `folder`."""
    return "\n".join([
        "searchd", "{",
        f"    listen = {node.host}:{node.port}:mysql41",
        f"    listen = {node.host}:{node.api_port}",
        f"    log = {folder / 'searchd.log'}",
        f"    query_log = {folder / 'query.log'}",
        f"    pid_file = {folder / 'searchd.pid'}",
        f"    binlog_path = {folder}",
        "    workers = threads",
        "    max_packet_size = 128M",
        "    expansion_limit = 50",
        "    seamless_rotate = 0",
        "    read_timeout = 5",
        "    client_timeout = 300",
        "}",
    ]) + "\n"


def node_folder(spec: ClusterSpec, node: Node) -> Path:
    """Return where a local daemon keeps its config, logs, pid file and data."""
    return Path(spec.data).absolute() / f"{node.host}-{node.port}"


def node_config(spec: ClusterSpec, node: Node) -> str:
    """Return the whole config of one daemon: the indexes it serves and its searchd block."""
    folder = node_folder(spec, node)
    parts = []
    if node == spec.coordinator:
        parts.append(distributed_index(spec))
    for i, mirrors in enumerate(spec.shards):
        if node in mirrors:
            parts.append(rt_index(spec.shard_index(i), folder / spec.shard_index(i)))
    parts.append(searchd(node, folder))
    return "\n".join(parts)
