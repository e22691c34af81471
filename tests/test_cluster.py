"""`archive cluster`: real searchd daemons on 127.0.0.1 started, inspected, killed and stopped."""

from __future__ import annotations

import json

import pytest
from clirun import invoke
from sphinx_cluster import config_file, require_searchd, teardown, write_config

from archive import config
from archive.engine.sphinx import cluster, conf
from archive.engine.sphinx.spec import ClusterSpec, Node
from archive.errors import ArchiveError

COLUMNS = ["id", *conf.FIELDS, *conf.STRING_ATTRS, *conf.BIGINT_ATTRS, *conf.UINT_ATTRS]


def run(*args: str):  # type: ignore[no-untyped-def]
    return invoke("cluster", *args)


def insert(node: Node, index: str, doc_id: int) -> None:
    """Write one row straight into a shard's real-time index on one daemon."""
    values = ([doc_id] + [f"word{doc_id} common" for _ in conf.FIELDS] + [f"v{doc_id}" for _ in conf.STRING_ATTRS]
              + [doc_id for _ in conf.BIGINT_ATTRS] + [0 for _ in conf.UINT_ATTRS])
    with cluster.connect(node) as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO {index} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})", values)


def by_address(spec: ClusterSpec) -> dict[str, cluster.NodeStatus]:
    return {st.address: st for st in cluster.status(spec)}


def test_status_shows_every_node_up_and_counts_rows(sphinx_cluster):
    settings, spec = sphinx_cluster
    (m0, m1), (s1,) = spec.shards
    states = by_address(spec)
    assert list(states) == [n.address for n in [spec.coordinator, m0, m1, s1]]
    assert all(st.up and st.pid for st in states.values())
    assert states[spec.coordinator.address].roles == ["coordinator"]
    assert states[m1.address].roles == ["shard 0 mirror 1"]
    assert states[s1.address].shards == [{"shard": 1, "mirror": 0, "index": spec.shard_index(1), "documents": 0}]
    assert states[spec.coordinator.address].documents == 0

    for node in (m0, m1):  # a shard's document goes to every mirror
        insert(node, spec.shard_index(0), 7)
    insert(s1, spec.shard_index(1), 8)
    insert(s1, spec.shard_index(1), 9)
    states = by_address(spec)
    assert [states[n.address].shards[0]["documents"] for n in (m0, m1, s1)] == [1, 1, 2]
    assert states[spec.coordinator.address].documents == 3

    result = run("status", "--json", "--config", str(config_file(settings)))
    assert result.exit_code == 0, result.output
    assert [n["up"] for n in json.loads(result.stdout)] == [True] * 4


def test_killed_mirror_is_reported_down_and_status_exits_1(sphinx_cluster):
    settings, spec = sphinx_cluster
    (m0, m1), (s1,) = spec.shards
    for node in (m0, m1):
        insert(node, spec.shard_index(0), 1)
    insert(s1, spec.shard_index(1), 2)
    pid = cluster.node_pid(spec, m1)
    assert sphinx_cluster.kill(shard=0, mirror=1) == pid
    assert cluster.node_pid(spec, m1) is None

    states = by_address(spec)
    assert not states[m1.address].up and states[m1.address].pid is None
    assert all(states[n.address].up for n in (spec.coordinator, m0, s1))
    coordinator = states[spec.coordinator.address]
    # The twin answers for shard 0; a total missing a shard is never silent: it comes with a warning.
    assert coordinator.documents == 2 or coordinator.warnings

    result = run("status", "--config", str(config_file(settings)))
    assert result.exit_code == 1, result.output
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith(m1.address))
    assert line.split()[1:6] == ["shard", "0", "mirror", "1", "down"]
    assert "3 of 4 nodes up" in result.stderr

    assert sphinx_cluster.start() == [m1]  # only what is down; its rows come back from its binlog
    assert by_address(spec)[m1.address].shards[0]["documents"] == 1


def test_settings_for_another_index_keep_the_cluster(sphinx_cluster, tmp_path):
    settings = sphinx_cluster.settings(tmp_path / "other")
    assert settings.index == tmp_path / "other" and settings.engine == "sphinx"
    assert ClusterSpec.from_settings(settings.cluster, settings.index) == sphinx_cluster.spec
    assert sphinx_cluster.config_file == config_file(sphinx_cluster.settings())


def test_cli_lifecycle_leaves_no_daemon_behind(tmp_path):
    require_searchd()
    path = write_config(tmp_path, shards=(2, 1))
    settings = config.load(path)
    spec = ClusterSpec.from_settings(settings.cluster, settings.index)
    try:
        assert run("init", "--config", str(path)).exit_code == 0
        configs = [conf.node_folder(spec, n) / "searchd.conf" for n in spec.nodes()]
        assert all(p.is_file() for p in configs)
        started = run("start", "--config", str(path))
        assert started.exit_code == 0, started.output
        pids = [cluster.node_pid(spec, n) for n in spec.nodes()]
        assert all(pids) and len(set(pids)) == 4
        assert cluster.start(spec) == []  # running daemons are left alone
        assert run("init", "--config", str(path)).exit_code == 0  # same configs: nothing to do

        stopped = run("stop", "--config", str(path))
        assert stopped.exit_code == 0, stopped.output
        assert cluster.processes(spec) == []
        assert not any(cluster._alive(p) for p in pids)
        down = run("status", "--config", str(path))
        assert down.exit_code == 1 and "0 of 4 nodes up" in down.stderr
    finally:
        teardown(spec)


def test_init_refuses_to_change_a_running_daemons_config(sphinx_cluster):
    settings, spec = sphinx_cluster
    path = conf.node_folder(spec, spec.coordinator) / "searchd.conf"
    before = path.read_text()
    moved = ClusterSpec(spec.coordinator, spec.shards[:1], spec.data, spec.name)  # one shard fewer
    with pytest.raises(ArchiveError, match="is running with another config"):
        cluster.init(moved)
    assert path.read_text() == before


def test_a_daemon_that_cannot_start_is_reported_with_its_output(tmp_path):
    require_searchd()
    settings = config.load(write_config(tmp_path, shards=(1,)))
    spec = ClusterSpec.from_settings(settings.cluster, settings.index)
    try:
        cluster.init(spec)
        broken = conf.node_folder(spec, spec.shards[0][0]) / "searchd.conf"
        broken.write_text(broken.read_text().replace("type = rt", "type = no-such-type"))
        exited = f"searchd for {spec.shards[0][0].address} exited during startup"
        with pytest.raises(ArchiveError, match=exited) as info:
            cluster.start(spec)
        assert "FATAL: no valid indexes to serve" in str(info.value)  # the tail of its searchd.log
    finally:
        teardown(spec)
    assert cluster.processes(spec) == []


def test_missing_searchd_is_fatal_with_the_install_command(tmp_path, monkeypatch):
    path = write_config(tmp_path)
    assert run("init", "--config", str(path)).exit_code == 0
    monkeypatch.setenv("ARCHIVE_SEARCHD", str(tmp_path / "no-searchd"))
    result = run("start", "--config", str(path))
    assert result.exit_code == 3
    assert "apt-get install -y sphinxsearch" in result.stderr


def test_usage_errors_exit_2(tmp_path):
    whoosh = tmp_path / "whoosh.toml"
    whoosh.write_text('index = "index"\n')
    result = run("status", "--config", str(whoosh))
    assert result.exit_code == 2 and 'engine = "sphinx"' in result.output
    path = write_config(tmp_path / "c")
    assert run("start", "--config", str(path), "127.0.0.1:1").exit_code == 2
    assert run("stop", "--config", str(path), "nonsense").exit_code == 2
    settings = config.load(path)
    coordinator = ClusterSpec.from_settings(settings.cluster, settings.index).coordinator
    printed = run("config", "--config", str(path), coordinator.address)
    assert printed.exit_code == 0 and "type = distributed" in printed.stdout
