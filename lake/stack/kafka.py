"""Kafka: the coordinator's KRaft node, broker and controller; and on a worker host with the kafka-broker role
(docs/scale-out.md), a broker-only node that joins the coordinator's cluster."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from lake import cluster as cluster_description
from lake.errors import LakeError
from lake.runtime import clients, config, jvm, probes
from lake.runtime.probes import ProbeResult
from lake.settings import KAFKA_BROKER, TOPIC_RAW, Settings
from lake.stack import kafka_acls
from lake.stack.service import Service

# The coordinator's node: the only controller (a quorum of one) and the first broker.
CONTROLLER_NODE_ID = 1
SERVER_TEMPLATE = "hadoop-cluster/etc/kafka/server.properties"


def write_secret(path: Path, text: str) -> None:
    """A file only the lake's user reads (0600 in a 0700 folder), replaced whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


class Kafka(Service):
    name = "kafka"
    port_keys = ("kafka", "kafka_controller")
    start_timeout = 120

    @property
    def lib(self) -> Path:
        return self.s.lib_dir / "kafka"

    @property
    def properties(self) -> Path:
        return self.s.conf_dir / "kafka" / "server.properties"

    @property
    def jaas_file(self) -> Path:
        return self.s.secrets_dir / "kafka-broker-jaas.conf"

    def _opts(self) -> list[str]:
        return [f"-Dkafka.logs.dir={self.s.log_dir}",
                f"-Dlog4j2.configurationFile={self.s.conf_dir / 'kafka' / 'log4j2.yaml'}",
                f"-Djava.security.auth.login.config={self.jaas_file}"]

    def prepare(self) -> None:
        # The broker's own SCRAM login, rewritten from var/secrets (or the environment) at every start.
        write_secret(self.jaas_file, kafka_acls.jaas(self.s, KAFKA_BROKER))
        # KRaft storage is formatted exactly once; meta.properties marks a formatted log dir. A new cluster
        # gets every principal's SCRAM credential at format time (KIP-900): nobody could log in to add them.
        # An existing one gets them through the admin API (lifecycle's kafka_security step, every `up`).
        logs = self.s.data_dir / "kafka"
        if (logs / "meta.properties").exists():
            return
        import base64
        import uuid

        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        argv = self.java_argv("kafka.tools.StorageTool", f"{self.lib}/*", opts=self._opts(),
                              args=["format", "-t", cluster_id, "-c", str(self.properties),
                                    *kafka_acls.format_scram_args(self.s)])
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise LakeError("kafka: storage format failed", (r.stdout + r.stderr)[-3000:])

    def argv(self) -> list[str]:
        return self.java_argv("kafka.Kafka", f"{self.lib}/*", args=[str(self.properties)], opts=self._opts())

    def probe(self) -> ProbeResult:
        port = probes.port_open(self.s.host, self.s.ports["kafka"])
        if not port:
            return port
        try:
            from confluent_kafka.admin import AdminClient

            md = AdminClient(clients.kafka_config(self.s)).list_topics(timeout=5)
        except Exception as e:  # noqa: BLE001
            return ProbeResult(False, f"broker metadata request failed ({e})")
        return ProbeResult(len(md.brokers) >= 1, f"brokers={len(md.brokers)}")


# ---- worker brokers (issue #24) ------------------------------------------------------------------------------

def description() -> cluster_description.Cluster:
    """The cluster description this process runs under (LAKE_CLUSTER, else cluster.toml, else one host): Settings
    keeps this host's and its peers' addresses, not every host's position, which node ids come from."""
    return cluster_description.load(dict(os.environ))[0]


def node_id(c: cluster_description.Cluster, address: str) -> int:
    """A host's KRaft node.id: its position in the cluster description, from 1 (the coordinator, which is also the
    controller). Deterministic on every host; append hosts at the end, since reordering them renumbers brokers."""
    for i, h in enumerate(c.hosts, 1):
        if h.address == address:
            return i
    raise LakeError(f"kafka-broker: no host of the cluster description has the address {address}")


def broker_count(c: cluster_description.Cluster) -> int:
    """Brokers the cluster runs: the coordinator's Kafka and each other host with the kafka-broker role."""
    return 1 + sum(h.runs("kafka-broker") for h in c.hosts)


def broker_properties(s: Settings, node: int) -> str:
    """A worker's broker-only server.properties, made from the coordinator's template (one set of broker settings:
    security, authorizer, topic defaults): its own node.id and client listener on this host's address, the same
    controller quorum (the coordinator's controller listener), and no controller listener of its own."""
    own = {"process.roles": "broker", "node.id": str(node),
           "listeners": f"SASL_PLAINTEXT://{s.bind_host}:{s.ports['kafka']}",
           "advertised.listeners": f"SASL_PLAINTEXT://{s.node_host}:{s.ports['kafka']}"}
    controller_side = ("listener.name.controller.sasl.enabled.mechanisms",)
    template = config.render_text((s.root / SERVER_TEMPLATE).read_text(), config.template_vars(s), SERVER_TEMPLATE)
    lines = [f"# Rendered by lake/stack/kafka.py from {SERVER_TEMPLATE}: a broker-only KRaft node of a",
             "# worker host (the kafka-broker role, docs/scale-out.md); the coordinator's node is the controller."]
    for line in template.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key = line.split("=", 1)[0]
        if key in controller_side:
            continue
        lines.append(f"{key}={own.pop(key)}" if key in own else line)
    if own:
        raise LakeError(f"{SERVER_TEMPLATE}: no line for {', '.join(own)}; a worker broker overrides them")
    return "\n".join(lines) + "\n"


def broker_password(s: Settings) -> str:
    """The broker principal's password on a worker: it is generated on the coordinator and travels from there."""
    from lake import secrets

    try:
        return secrets.kafka_password(s, KAFKA_BROKER)
    except LakeError:
        raise LakeError(f"kafka-broker: no login for the Kafka principal {KAFKA_BROKER!r}: copy "
                        f"var/secrets/kafka-{KAFKA_BROKER}-password from the coordinator to "
                        f"{s.secrets_dir / f'kafka-{KAFKA_BROKER}-password'} (mode 0600), or set "
                        f"LAKE_KAFKA_{KAFKA_BROKER.upper()}_PASSWORD") from None


def _broker_admin(s: Settings):
    """An admin client at the coordinator's Kafka logged in as the broker principal (a super user): the one
    Kafka login a worker host holds."""
    from confluent_kafka.admin import AdminClient

    broker_password(s)  # a missing login is one line naming what to copy, not a SASL error later
    return AdminClient(clients.kafka_config(s, principal=KAFKA_BROKER))


class KafkaBroker(Kafka):
    """The kafka-broker role: a broker-only KRaft node on a worker host, in the coordinator's Kafka cluster."""

    name = "kafka-broker"
    port_keys = ("kafka",)
    heap_key = "kafka"

    @property
    def log_file(self) -> Path:
        # log4j2.yaml names the file; one Kafka runs on a host, whichever role started it.
        return self.s.log_dir / "kafka.log"

    @property
    def properties(self) -> Path:
        return self.s.conf_dir / "kafka" / "broker.properties"

    def prepare(self) -> None:
        node = node_id(description(), self.s.node_host)
        self.properties.parent.mkdir(parents=True, exist_ok=True)
        self.properties.write_text(broker_properties(self.s, node))
        pw = broker_password(self.s)
        write_secret(self.jaas_file, kafka_acls.jaas(self.s, KAFKA_BROKER, password=pw))
        if (self.s.data_dir / "kafka" / "meta.properties").exists():
            return
        # The log dir is formatted with the cluster's id, asked of the coordinator's broker: nothing to copy.
        # No SCRAM credentials here: they live in the metadata the controller serves.
        argv = self.java_argv("kafka.tools.StorageTool", f"{self.lib}/*", opts=self._opts(),
                              args=["format", "-t", self.cluster_id(), "-c", str(self.properties)])
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise LakeError("kafka-broker: storage format failed", (r.stdout + r.stderr)[-3000:])

    def cluster_id(self, timeout: float = 30) -> str:
        try:
            admin = _broker_admin(self.s)  # held until the answer: a client freed earlier cancels its request
            return admin.describe_cluster(request_timeout=timeout).result(timeout).cluster_id
        except LakeError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure means the same: no answer from the coordinator
            raise LakeError(f"kafka-broker: the coordinator's Kafka at {self.s.kafka_bootstrap} did not give its "
                            f"cluster id ({e}); run `make up` on the coordinator first") from None

    def probe(self) -> ProbeResult:
        """Registered: the cluster's metadata (asked of the coordinator's broker) lists a broker at this host's
        address and port, which the controller does only once the broker is unfenced."""
        port = probes.port_open(self.s.node_host, self.s.ports["kafka"])
        if not port:
            return port
        try:
            md = _broker_admin(self.s).list_topics(timeout=5)
        except Exception as e:  # noqa: BLE001
            return ProbeResult(False, f"metadata request to {self.s.kafka_bootstrap} failed ({e})")
        mine = [b for b in md.brokers.values() if (b.host, b.port) == (self.s.node_host, self.s.ports["kafka"])]
        if not mine:
            return ProbeResult(False, f"not in the cluster's metadata yet ({len(md.brokers)} brokers)")
        return ProbeResult(True, f"node {mine[0].id} registered, brokers={len(md.brokers)}")


def _reassign(s: Settings, plan: dict[int, list[int]], timeout: float) -> None:
    """Kafka's own reassignment tool (confluent-kafka has no partition reassignment API), logged in as the broker
    principal through a private properties file; then wait until every new replica is in sync."""
    work = s.secrets_dir / "kafka-reassign"
    login = clients.write_java_client_config(s, work / "client.properties", principal=KAFKA_BROKER)
    doc = {"version": 1, "partitions": [{"topic": TOPIC_RAW, "partition": p, "replicas": r} for p, r in plan.items()]}
    (work / "plan.json").write_text(json.dumps(doc))
    argv = [str(jvm.java17_home() / "bin" / "java"), "-Xmx256m", "-cp", f"{s.lib_dir / 'kafka'}/*",
            "org.apache.kafka.tools.reassign.ReassignPartitionsCommand", "--bootstrap-server", s.kafka_bootstrap,
            "--command-config", str(login), "--reassignment-json-file", str(work / "plan.json"), "--execute"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise LakeError(f"Kafka: reassigning {TOPIC_RAW}'s partitions failed", (r.stdout + r.stderr)[-3000:])
    admin = _broker_admin(s)

    def in_sync() -> ProbeResult:
        parts = admin.list_topics(TOPIC_RAW, timeout=5).topics[TOPIC_RAW].partitions
        lagging = [p for p, want in plan.items() if sorted(parts[p].isrs) != sorted(want)]
        return ProbeResult(not lagging, f"partitions not yet in sync: {lagging}")

    try:
        probes.wait_for(in_sync, timeout, f"Kafka {TOPIC_RAW} reassignment", interval=1)
    except probes.WaitTimeout as e:
        raise LakeError(f"{e} (brokers' logs: var/log/kafka.log on each host)") from None


def replicate_raw(s: Settings, timeout: float = 180) -> str:
    """tweets.raw's replication and min.insync.replicas for the brokers the cluster describes (ingestion/topics.py
    raw_replication), once they are all registered: its partitions reassigned to more replicas, then
    min.insync.replicas raised, only after the new replicas are in sync (raising it first would refuse acks=all
    writes meanwhile). Idempotent; the coordinator's `make up` and each worker broker's run it; one line."""
    from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType)

    from ingestion import topics

    expected = broker_count(description())
    rf, min_isr = topics.raw_replication(expected)
    admin = _broker_admin(s)
    md = admin.list_topics(TOPIC_RAW, timeout=10)
    topic = md.topics.get(TOPIC_RAW)
    if topic is None or topic.error is not None:
        return f"{TOPIC_RAW}: not created yet (the coordinator's `make up` creates it)"
    current = {p: list(pm.replicas) for p, pm in topic.partitions.items()}
    if len(md.brokers) < expected:
        done = all(len(r) >= rf for r in current.values())
        return (f"{TOPIC_RAW}: {len(md.brokers)} of {expected} brokers registered; "
                + (f"its {rf} replicas were placed before" if done else f"replication {rf} waits for the rest"))
    plan = {p: r for p, r in topics.assignment(current, sorted(md.brokers), rf).items() if r != current[p]}
    if plan:
        _reassign(s, plan, timeout)
    res = ConfigResource(ResourceType.TOPIC, TOPIC_RAW)
    have = admin.describe_configs([res])[res].result(timeout)["min.insync.replicas"].value
    if have != str(min_isr):
        res = ConfigResource(ResourceType.TOPIC, TOPIC_RAW, incremental_configs=[
            ConfigEntry("min.insync.replicas", str(min_isr), incremental_operation=AlterConfigOpType.SET)])
        admin.incremental_alter_configs([res])[res].result(timeout)
    changed = (f"{len(plan)} partitions reassigned" if plan else "") + (
        f"{', ' if plan else ''}min.insync.replicas was {have}" if have != str(min_isr) else "")
    brokers = f"{len(md.brokers)} broker{'s' if len(md.brokers) != 1 else ''}"
    return (f"{TOPIC_RAW}: replication {rf} on {brokers}, min.insync.replicas {min_isr} "
            f"({changed or 'unchanged'})")
