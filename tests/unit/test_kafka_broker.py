"""The kafka-broker role (issue #24, docs/scale-out.md): a worker's broker-only KRaft node rendered from the
coordinator's server.properties, node ids by position in cluster.toml, tweets.raw's replication for the number of
brokers, and the one line a worker without the broker's login gets. The coordinator's own rendering is unchanged
(tests/unit/test_cluster.py)."""
from __future__ import annotations

import pytest

from ingestion import topics
from lake import cluster, settings
from lake.errors import LakeError
from lake.runtime.probes import ProbeResult
from lake.stack import hadoop, kafka, lifecycle
from lake.stack.services import host_services

THREE_BROKERS = """
[[hosts]]
name = "coord"
address = "10.1.0.1"
roles = ["coordinator"]

[[hosts]]
name = "w1"
address = "10.1.0.2"
roles = ["datanode", "kafka-broker"]

[[hosts]]
name = "w2"
address = "10.1.0.3"
roles = ["datanode", "nodemanager", "kafka-broker"]

[[hosts]]
name = "w3"
address = "10.1.0.4"
roles = ["datanode"]
"""


@pytest.fixture
def three(tmp_path, monkeypatch):
    path = tmp_path / "cluster.toml"
    path.write_text(THREE_BROKERS)
    # What kafka.description() reads, as under `make up` on a host.
    monkeypatch.setenv("LAKE_CLUSTER", str(path))
    monkeypatch.setenv("LAKE_HOST", "coord")
    for var in ("LAKE_KAFKA_BROKER_PASSWORD", "LAKE_PORT_KAFKA", "LAKE_PORT_KAFKA_CONTROLLER"):
        monkeypatch.delenv(var, raising=False)

    def load(host: str) -> settings.Settings:
        monkeypatch.setenv("LAKE_HOST", host)
        return settings.load({"LAKE_CLUSTER": str(path), "LAKE_HOST": host, "LAKE_VAR_DIR": str(tmp_path / host),
                              "LAKE_USER": "alice"})
    return load


def _props(text: str) -> dict[str, str]:
    return dict(ln.split("=", 1) for ln in text.splitlines() if ln and not ln.startswith("#"))


def test_node_ids_follow_the_hosts_order_and_count_the_brokers(three):
    c = kafka.description()
    assert [kafka.node_id(c, h.address) for h in c.hosts] == [1, 2, 3, 4]
    assert kafka.node_id(c, c.coordinator.address) == kafka.CONTROLLER_NODE_ID
    assert kafka.broker_count(c) == 3  # the coordinator's Kafka and w1's, w2's brokers
    assert kafka.broker_count(cluster.SINGLE_HOST) == 1
    with pytest.raises(LakeError, match="no host .* has the address 10.9.9.9"):
        kafka.node_id(c, "10.9.9.9")


def test_a_worker_broker_is_broker_only_on_its_own_address(three):
    s = three("w1")
    mine = _props(kafka.broker_properties(s, 2))
    server = _props(kafka.config.render_text((s.root / kafka.SERVER_TEMPLATE).read_text(),
                                             kafka.config.template_vars(s)))
    assert mine["process.roles"] == "broker" and mine["node.id"] == "2"
    assert mine["listeners"] == "SASL_PLAINTEXT://10.1.0.2:9092"  # no CONTROLLER listener of its own
    assert mine["advertised.listeners"] == "SASL_PLAINTEXT://10.1.0.2:9092"
    assert mine["controller.quorum.voters"] == "1@10.1.0.1:9093"  # the coordinator's controller
    assert mine["controller.listener.names"] == "CONTROLLER" and mine["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert mine["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert mine["super.users"] == "User:broker;User:admin" and mine["log.dirs"] == str(s.data_dir / "kafka")
    # Everything else is the coordinator's, line for line; only the controller's own listener setting goes.
    differ = {k for k in server.keys() | mine.keys() if server.get(k) != mine.get(k)}
    assert differ == {"process.roles", "node.id", "listeners", "advertised.listeners",
                      "listener.name.controller.sasl.enabled.mechanisms"}


def test_kafka_ports_move_for_the_worker_broker_too(three, monkeypatch):
    monkeypatch.setenv("LAKE_HOST", "w2")
    s = settings.load({"LAKE_CLUSTER": kafka.os.environ["LAKE_CLUSTER"], "LAKE_HOST": "w2",
                       "LAKE_PORT_KAFKA": "29092", "LAKE_PORT_KAFKA_CONTROLLER": "29093"})
    mine = _props(kafka.broker_properties(s, 3))
    assert mine["listeners"] == "SASL_PLAINTEXT://10.1.0.3:29092"
    assert mine["controller.quorum.voters"] == "1@10.1.0.1:29093"


def test_which_host_starts_a_broker(three):
    assert [svc.name for svc in host_services(three("w1"))] == ["datanode", "kafka-broker"]
    assert [svc.name for svc in host_services(three("w3"))] == ["datanode"]
    names = [svc.name for svc in host_services(three("coord"))]
    assert "kafka" in names and "kafka-broker" not in names
    # A coordinator listing kafka-broker still runs one Kafka: its own node is that host's broker.
    both = cluster.Host("a", "10.0.0.1", ("coordinator", "kafka-broker"))
    assert both.runs("kafka") and not both.runs("kafka-broker")


def test_a_worker_without_the_broker_login_is_told_what_to_copy(three):
    s = three("w1")
    with pytest.raises(LakeError) as e:
        kafka.broker_password(s)
    line = str(e.value)
    assert "\n" not in line and "copy var/secrets/kafka-broker-password from the coordinator" in line
    assert str(s.secrets_dir / "kafka-broker-password") in line and "LAKE_KAFKA_BROKER_PASSWORD" in line
    with pytest.raises(LakeError, match="copy var/secrets/kafka-broker-password"):
        kafka.KafkaBroker(s).prepare()  # before any JVM or network call
    s.secrets_dir.mkdir(parents=True)
    (s.secrets_dir / "kafka-broker-password").write_text("from-the-coordinator\n")
    assert kafka.broker_password(s) == "from-the-coordinator"
    jaas = kafka.kafka_acls.jaas(s, "broker", password="from-the-coordinator")
    assert 'username="broker" password="from-the-coordinator"' in jaas and "controller.KafkaServer" in jaas


@pytest.mark.parametrize("brokers, rf, min_isr", [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)])
def test_raw_replication_for_the_number_of_brokers(brokers, rf, min_isr):
    # Three brokers: one can be down and acks=all producers still find two in sync; two brokers with min.insync 2
    # would stall ingest whenever either is down, so one in sync suffices there.
    assert topics.raw_replication(brokers) == (rf, min_isr)


def test_assignment_grows_replicas_keeps_leaders_and_spreads_followers():
    current = {0: [1], 1: [1], 2: [1], 3: [1]}
    assert topics.assignment(current, [1, 2, 3], 3) == {0: [1, 2, 3], 1: [1, 2, 3], 2: [1, 3, 2], 3: [1, 2, 3]}
    two = topics.assignment(current, [1, 2, 3, 4], 2)
    assert all(r[0] == 1 and len(r) == 2 for r in two.values())
    assert {r[1] for r in two.values()} == {2, 3, 4}  # followers on every other broker
    done = {0: [1, 2, 3], 1: [2, 3, 1]}
    assert topics.assignment(done, [1, 2, 3], 3) == done  # idempotent: nothing to move
    assert topics.assignment({0: [1, 2, 3]}, [1, 2, 3], 2) == {0: [1, 2, 3]}  # never shrinks


def test_up_on_the_coordinator_probes_each_worker_broker(three, monkeypatch):
    asked = []

    def probe(svc):
        asked.append((svc.name, svc.address))
        return ProbeResult(svc.address == "10.1.0.2", "registered" if svc.address == "10.1.0.2" else "refused")

    for cls in (kafka.KafkaBroker, hadoop.DataNode, hadoop.NodeManager):
        monkeypatch.setattr(cls, "probe", probe)
    lines = lifecycle.peer_probes(three("coord"))
    brokers = [ln.split()[:3] for ln in lines if "kafka-broker" in ln]
    assert brokers == [["w1", "kafka-broker", "healthy"], ["w2", "kafka-broker", "not"]]
    assert ("kafka-broker", "10.1.0.3") in asked and ("kafka-broker", "10.1.0.4") not in asked


def test_the_replication_step_follows_kafka_on_both_kinds_of_host():
    assert lifecycle.POST_STEPS["kafka"][-1] is lifecycle.kafka_replication
    assert lifecycle.POST_STEPS["kafka-broker"] == [lifecycle.kafka_replication]
