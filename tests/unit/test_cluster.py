"""The cluster description (cluster.toml, lake/cluster.py): its checks, which host is this one, and the
settings each host gets. The default (the repo's cluster.toml, or none) is the single-host lake, unchanged."""
from __future__ import annotations

import pytest

from lake import cluster, settings
from lake.errors import LakeError
from lake.runtime import config
from lake.runtime.config import CONFIG_SETS
from lake.runtime.probes import ProbeResult
from lake.stack import hadoop, lifecycle
from lake.stack.services import SERVICE_CLASSES, all_services, host_services

TWO_WORKERS = """
[hdfs]
replication = 2

[[hosts]]
name = "coord"
address = "10.1.0.1"
roles = ["coordinator"]

[[hosts]]
name = "w1"
address = "10.1.0.2"
roles = ["datanode", "nodemanager"]
yarn_memory_mb = 2304
yarn_vcores = 2

[[hosts]]
name = "w2"
address = "10.1.0.3"
roles = ["datanode"]
"""


ADDED = "dfs.namenode.datanode.registration.ip-hostname-check"
ADDED_WHY = ("Hosts are named by address in cluster.toml", "for its DataNode to register. -->")


def _without_added(text: str) -> str:
    return "".join(ln for ln in text.splitlines(keepends=True)
                   if ADDED not in ln and not any(w in ln for w in ADDED_WHY))


@pytest.fixture
def two_workers(tmp_path):
    path = tmp_path / "cluster.toml"
    path.write_text(TWO_WORKERS)
    return path


def _env(tmp_path, **extra) -> dict[str, str]:
    return {"LAKE_VAR_DIR": str(tmp_path / "var"), "LAKE_USER": "alice", **extra}


# ---- the default is today's lake ----

def test_repo_file_is_the_single_host():
    assert cluster.read(cluster.CLUSTER_FILE) == cluster.SINGLE_HOST
    # Every role but kafka-broker and trino-worker: the coordinator's Kafka is its broker
    # (cluster.COORDINATOR_FILLS) and the single host's Trino is coordinator and worker at once.
    assert cluster.SINGLE_HOST.coordinator.roles == ("coordinator", "datanode", "nodemanager")


def test_default_settings_are_the_single_host_settings(tmp_path, monkeypatch):
    with_file = settings.load(_env(tmp_path))
    monkeypatch.setattr(cluster, "CLUSTER_FILE", tmp_path / "absent.toml")
    without_file = settings.load(_env(tmp_path))
    assert with_file == without_file
    s = with_file
    assert (s.bind_host, s.host, s.node_host, s.dfs_replication) == ("127.0.0.1",) * 3 + (1,)
    assert s.hdfs_uri == "hdfs://127.0.0.1:8020" and s.kafka_bootstrap == "127.0.0.1:9092"
    # Everything but a worker's broker and Trino worker: the coordinator's own Kafka and Trino do that work.
    assert [svc.name for svc in host_services(s)] == [svc.name for svc in all_services(s)
                                                      if svc.name not in ("kafka-broker", "trino-worker")]
    assert all(svc.address == "127.0.0.1" for svc in all_services(s))


def test_default_renders_every_config_as_before(tmp_path):
    """The new placeholders render, for the default, exactly what the templates spelled before the cluster
    description: the NameNode's host where a worker's own address now goes, and one replica. The one line
    added (DataNodes may register without a reverse DNS name) changes nothing for 127.0.0.1."""
    s = settings.load(_env(tmp_path))
    values = config.template_vars(s)
    before = {"${NODE_HOST}": "${NAMENODE_HOST}", "${DFS_REPLICATION}": "1", "${TRINO_INCLUDE_COORDINATOR}": "true"}
    compared = 0
    for cs in CONFIG_SETS:
        if cs.name == "trino-worker":
            continue  # new with the trino-worker role: a worker host's own config.properties, unused by one host
        src = s.root / cs.source
        for f in sorted(p for p in src.iterdir() if p.is_file()) if src.is_dir() else []:
            text = f.read_text()
            old = _without_added(text)
            for new, was in before.items():
                old = old.replace(new, was)
            assert _without_added(config.render_text(text, values)) == config.render_text(old, values), f
            compared += text != old
    # hdfs-site.xml, yarn-site.xml, Trino's config.properties and node.properties use the new placeholders
    assert compared == 4
    assert f"<name>{ADDED}</name><value>false</value>" in (s.root / "hadoop-cluster/etc/hadoop/hdfs-site.xml").read_text()


# ---- a cluster of three hosts ----

def test_worker_settings_bind_and_advertise_their_own_address(tmp_path, two_workers):
    s = settings.load(_env(tmp_path, LAKE_CLUSTER=str(two_workers), LAKE_HOST="w1"))
    assert (s.bind_host, s.node_host, s.host, s.dfs_replication) == ("10.1.0.2", "10.1.0.2", "10.1.0.1", 2)
    assert s.hdfs_uri == "hdfs://10.1.0.1:8020"
    assert [svc.name for svc in host_services(s)] == ["datanode", "nodemanager"]
    by = {svc.name: svc for svc in all_services(s)}
    assert by["datanode"].address == "10.1.0.2" and by["namenode"].address == "10.1.0.1"
    values = config.template_vars(s)
    assert (values["NODE_HOST"], values["BIND_HOST"], values["NAMENODE_HOST"]) == ("10.1.0.2", "10.1.0.2", "10.1.0.1")
    assert values["DFS_REPLICATION"] == "2"
    assert (values["NM_MEMORY_MB"], values["NM_VCORES"]) == ("2304", "2")  # this host's YARN offer
    w2 = settings.load(_env(tmp_path, LAKE_CLUSTER=str(two_workers), LAKE_HOST="w2"))
    default = settings.load(_env(tmp_path))
    assert (w2.nm_memory_mb, w2.nm_vcores) == (default.nm_memory_mb, default.nm_vcores) == (8192, 4)


def test_coordinator_runs_everything_but_the_worker_roles_it_lacks(tmp_path, two_workers):
    s = settings.load(_env(tmp_path, LAKE_CLUSTER=str(two_workers), LAKE_HOST="coord"))
    names = [svc.name for svc in host_services(s)]
    assert "namenode" in names and "trino" in names and "kafka" in names
    assert "datanode" not in names and "nodemanager" not in names
    assert "trino-worker" not in names
    assert len(names) == len(SERVICE_CLASSES) - 4  # and never kafka-broker (cluster.COORDINATOR_FILLS)


def test_this_host_by_name_or_by_local_address(two_workers):
    c = cluster.read(two_workers)
    assert cluster.this_host(c, {"LAKE_HOST": "w2"}).name == "w2"
    assert cluster.this_host(c, {}, is_local=lambda a: a == "10.1.0.3").name == "w2"
    with pytest.raises(LakeError, match="set LAKE_HOST"):
        cluster.this_host(c, {}, is_local=lambda a: False)
    with pytest.raises(LakeError, match="'nope' is not in the cluster"):
        cluster.this_host(c, {"LAKE_HOST": "nope"})


def test_dumps_reads_back(two_workers):
    c = cluster.read(two_workers)
    assert cluster.parse(__import__("tomllib").loads(cluster.dumps(c))) == c


def test_is_local_address():
    assert cluster.is_local_address("127.0.0.1")
    assert not cluster.is_local_address("192.0.2.254")  # TEST-NET-1, never ours


@pytest.mark.parametrize("doc, message", [
    ({}, "no \\[\\[hosts\\]\\]"),
    ({"hosts": [{"name": "a", "address": "nope", "roles": ["coordinator"]}]}, "not an IPv4 address"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator", "presto-worker"]}]},
     "unknown role\\(s\\) presto-worker"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator", "datanode", "trino-worker"]}]},
     "coordinator cannot also have the role\\(s\\) trino-worker"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["datanode"]}]}, "must have the coordinator role"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator", "datanode"]},
                {"name": "b", "address": "10.0.0.2", "roles": ["coordinator"]}]}, "found on: a, b"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator", "datanode"]},
                {"name": "a", "address": "10.0.0.2", "roles": ["datanode"]}]}, "name a used by more than one"),
    ({"hosts": [{"name": "a", "address": "127.0.0.1", "roles": ["coordinator"]},
                {"name": "b", "address": "10.0.0.2", "roles": ["datanode"]}]}, "loopback"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator"]}]}, "no host runs a datanode"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator", "datanode"], "yarn_vcores": 0}]},
     "yarn_vcores=0 is not a positive"),
    ({"hdfs": {"replication": 2}, "hosts": [{"name": "a", "address": "10.0.0.1", "roles": ["coordinator", "datanode"]}]},
     "choose 1 to 1"),
])
def test_bad_descriptions_are_one_line_errors(doc, message):
    with pytest.raises(LakeError, match=message) as e:
        cluster.parse(doc, origin="c.toml")
    assert "\n" not in str(e.value) and str(e.value).startswith("c.toml: ")


def test_up_probes_the_other_hosts_worker_roles(tmp_path, two_workers, monkeypatch):
    """`make up` on the coordinator reports each worker role of the other hosts, probed at that host's address."""
    asked = []

    def probe(svc):
        asked.append((svc.name, svc.address))
        return ProbeResult(svc.address == "10.1.0.2", f"asked {svc.address}")

    monkeypatch.setattr(hadoop.DataNode, "probe", probe)
    monkeypatch.setattr(hadoop.NodeManager, "probe", probe)
    s = settings.load(_env(tmp_path, LAKE_CLUSTER=str(two_workers), LAKE_HOST="coord"))
    assert [p.name for p in s.peers] == ["w1", "w2"]
    lines = lifecycle.peer_probes(s)
    assert asked == [("datanode", "10.1.0.2"), ("nodemanager", "10.1.0.2"), ("datanode", "10.1.0.3")]
    assert [ln.split()[:3] for ln in lines] == [["w1", "datanode", "healthy"], ["w1", "nodemanager", "healthy"],
                                                ["w2", "datanode", "not"]]
    assert lifecycle.peer_probes(settings.load(_env(tmp_path))) == []  # a single host has no peers
