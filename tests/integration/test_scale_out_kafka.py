"""Kafka over three brokers (issue #24): the coordinator's KRaft node (controller and broker 1) and a broker-only
node in each of two network namespaces (the kafka-broker role), each started by `python -m lake up` with its host's
cluster description (tests/integration/mini_cluster.py). tweets.raw, created by the coordinator with one replica,
ends up with three and min.insync.replicas 2; a producer with the lake's own settings (acks=all, idempotent) loses
nothing while a worker's broker is killed with -9, and `lake up` on that host brings the broker back into the ISR.
Starts its own small cluster, never the shared stack's services; run it under the lock."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ingestion import topics
from ingestion.producer import PRODUCER_CONFIG
from lake import settings
from lake.runtime import clients, probes, process
from lake.settings import KAFKA_BROKER, KAFKA_PRODUCER, TOPIC_RAW
from tests.integration.mini_cluster import MiniCluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

WORKERS = ("w1", "w2")
RECORDS = 4000
SECRET = f"kafka-{KAFKA_BROKER}-password"


@pytest.fixture(scope="module")
def mc():
    # Each worker lists a datanode too, never started here: a cluster description needs one DataNode host.
    roles = {w: ["datanode", "kafka-broker"] for w in WORKERS}
    with MiniCluster(roles) as cluster:
        cluster.up("coord", "kafka")  # the controller and broker 1; ACLs, credentials, topics (RF 1)
        # Without the broker's login a worker says, in one line, what to copy from the coordinator.
        r = subprocess.run(cluster.argv("w1", sys.executable, "-m", "lake", "up", "kafka-broker"),
                           env=cluster.env("w1"), cwd=settings.ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and f"copy var/secrets/{SECRET} from the coordinator" in r.stderr, r
        for w in WORKERS:
            # What an operator does over SSH: the one secret a worker broker needs, mode 0600.
            secrets = cluster.settings(w).secrets_dir
            secrets.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copy2(cluster.settings("coord").secrets_dir / SECRET, secrets / SECRET)
            print(cluster.up(w, "kafka-broker"))
        yield cluster


def _admin(mc):
    from confluent_kafka.admin import AdminClient

    return AdminClient(clients.kafka_config(mc.settings("coord")))


def _raw(mc) -> dict:
    return _admin(mc).list_topics(TOPIC_RAW, timeout=10).topics[TOPIC_RAW].partitions


def test_three_brokers_at_their_own_addresses(mc):
    md = _admin(mc).list_topics(timeout=10)
    port = mc.settings("coord").ports["kafka"]
    # node.id by position in the cluster description: the coordinator 1, then w1 2, w2 3.
    assert {b.id: (b.host, b.port) for b in md.brokers.values()} == {
        i: (mc.address(h), port) for i, h in enumerate(("coord", *WORKERS), 1)}
    out = mc.up("coord", "kafka")  # probes the workers' brokers, starts nothing there
    for w in WORKERS:
        assert f"{w} kafka-broker" in out and "healthy" in out.split(f"{w} kafka-broker", 1)[1].split("\n")[0], out
    assert "replication 3 on 3 brokers, min.insync.replicas 2 (unchanged)" in out, out  # idempotent
    print({f"{h} {svc} MiB": round(process.rss_mb(mc.pid(h, svc)) or 0)
           for h, svc in (("coord", "kafka"), *((w, "kafka-broker") for w in WORKERS))})


def test_raw_topic_has_three_replicas_and_min_insync_two(mc):
    from confluent_kafka.admin import ConfigResource, ResourceType

    parts = _raw(mc)
    assert len(parts) == topics.SPECS[TOPIC_RAW].partitions
    for p in parts.values():
        assert sorted(p.replicas) == [1, 2, 3] and sorted(p.isrs) == [1, 2, 3], (p.id, p.replicas, p.isrs)
    res, admin = ConfigResource(ResourceType.TOPIC, TOPIC_RAW), _admin(mc)  # held: a freed client cancels
    assert admin.describe_configs([res])[res].result(30)["min.insync.replicas"].value == "2"


def test_no_acknowledged_record_is_lost_when_a_broker_is_killed(mc):
    from confluent_kafka import Consumer, Producer, TopicPartition

    s = mc.settings("coord")
    producer = Producer(clients.kafka_config(s, principal=KAFKA_PRODUCER, **PRODUCER_CONFIG))
    assert (PRODUCER_CONFIG["acks"], PRODUCER_CONFIG["enable.idempotence"]) == ("all", True)
    acked, failed = [], []

    def on_delivery(err, msg):
        (failed if err else acked).append(err or msg.key().decode())

    victim = mc.pid("w1", "kafka-broker")
    t0 = time.monotonic()
    for i in range(RECORDS):
        producer.produce(TOPIC_RAW, key=f"k{i:05d}", value=f"tweet {i}".encode() * 20, on_delivery=on_delivery)
        producer.poll(0)
        if i == RECORDS // 4:
            producer.flush(60)
            os.kill(victim, signal.SIGKILL)  # while the rest is in flight
        if i % 200 == 0:
            time.sleep(0.05)  # spread the sends over the broker's loss and the ISR's shrink
    assert producer.flush(180) == 0, "records still unacknowledged after 180 s"
    took = time.monotonic() - t0
    assert not failed, failed[:5]
    assert sorted(acked) == [f"k{i:05d}" for i in range(RECORDS)]
    print(f"{RECORDS} records acknowledged in {took:.1f}s with w1's broker killed after {RECORDS // 4 + 1}")

    # Read everything back (the admin, a super user, with a label group that never commits).
    consumer = Consumer(clients.kafka_config(s, **{"group.id": "scale-out-kafka-check", "enable.auto.commit": False}))
    assignment = [TopicPartition(TOPIC_RAW, p, 0) for p in _raw(mc)]
    ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in assignment}
    consumer.assign(assignment)
    keys, deadline = [], time.monotonic() + 120
    while sum(ends.values()) > len(keys) and time.monotonic() < deadline:
        m = consumer.poll(1)
        if m is not None and not m.error():
            keys.append(m.key().decode())
    consumer.close()
    assert len(keys) == RECORDS and sorted(keys) == sorted(acked)  # no loss, no duplicate

    # The kill did take w1's broker out: the controller fenced it and shrank every ISR to the two others.
    def w1_out() -> probes.ProbeResult:
        isrs = {p.id: sorted(p.isrs) for p in _raw(mc).values()}
        return probes.ProbeResult(all(i == [1, 3] for i in isrs.values()), f"ISRs {isrs}")

    probes.wait_for(w1_out, 60, "the controller fencing w1's killed broker")

    # `lake up` on that host starts the broker again; it catches up and rejoins every partition's ISR.
    mc.up("w1", "kafka-broker")
    assert mc.pid("w1", "kafka-broker") not in (None, victim)

    def isr_full() -> probes.ProbeResult:
        short = {p.id: p.isrs for p in _raw(mc).values() if sorted(p.isrs) != [1, 2, 3]}
        return probes.ProbeResult(not short, f"partitions short of an in-sync replica: {short}")

    t0 = time.monotonic()
    probes.wait_for(isr_full, 120, f"kafka-broker on w1 rejoining the ISR (log: {mc.settings('w1').log_dir}/kafka.log)")
    print(f"w1's broker back in every ISR {time.monotonic() - t0:.1f}s after its `lake up`")
