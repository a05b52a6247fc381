"""`make up` is idempotent and crash-safe: running it twice keeps the data, and
after `kill -9` of the DataNode, the metastore, Kafka and Trino it brings them back
with everything written before still there, and the same certificate, logins and
credentials (issue #21): the stored data is read back through them."""
from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from stack_ops import assert_started, kill9, lake_up

from lake.runtime import clients, hdfs_client
from lake.stack import services


@pytest.fixture
def stored(lake, sandbox):
    """Data in all three stores: an HDFS file, Kafka messages, a Hive table."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    token = uuid.uuid4().hex
    hdfs_client.client(lake).write(f"{sandbox.hdfs_dir}/keep.txt", data=token.encode())
    admin = AdminClient(clients.kafka_config(lake.kafka_bootstrap))  # must outlive the future
    admin.create_topics([NewTopic(sandbox.topic, 2, 1)])[sandbox.topic].result(30)
    p = Producer(clients.kafka_config(lake.kafka_bootstrap, **{"acks": "all", "enable.idempotence": True}))
    for i in range(50):
        p.produce(sandbox.topic, f"{token}-{i}".encode(), key=str(i).encode())
    assert p.flush(30) == 0
    clients.hive(lake, f"CREATE DATABASE {sandbox.schema}")
    clients.hive(lake, f"CREATE TABLE {sandbox.schema}.keep (id INT, token STRING) STORED AS ORC")
    clients.hive(lake, f"INSERT INTO {sandbox.schema}.keep SELECT id, '{token}' FROM range(40)")
    return token


def assert_still_there(lake, sandbox, token):
    from confluent_kafka import Consumer

    with hdfs_client.client(lake).read(f"{sandbox.hdfs_dir}/keep.txt") as r:
        assert r.read().decode() == token
    c = Consumer(clients.kafka_config(lake.kafka_bootstrap, **{"group.id": f"it-{uuid.uuid4()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    c.subscribe([sandbox.topic])
    got, deadline = set(), time.monotonic() + 60
    while len(got) < 50 and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is not None and not m.error():
            got.add(m.value().decode())
    c.close()
    assert got == {f"{token}-{i}" for i in range(50)}
    rows = clients.trino(lake, f"SELECT count(*), min(token), max(token) FROM hive.{sandbox.schema}.keep")
    assert rows == [(40, token, token)]


def _secrets(lake) -> dict[str, str]:
    """Every generated secret, certificate and password file under var/secrets, by content hash."""
    return {str(p.relative_to(lake.secrets_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lake.secrets_dir.rglob("*")) if p.is_file()}


def test_up_twice_keeps_data(lake, sandbox, stored):
    for _ in range(2):
        out = lake_up()
        assert " started " not in out, f"a healthy service was restarted:\n{out}"
        assert out.count("already running") == len(services.host_services(lake))
    assert_still_there(lake, sandbox, stored)


def test_kill9_then_up_recovers_with_data(lake, sandbox, stored):
    names = ("datanode", "metastore", "kafka", "trino")
    before = _secrets(lake)
    assert any(k.startswith("kafka-") for k in before) and any("trino" in k for k in before), before
    pids = kill9(lake, *names)

    out = lake_up()
    assert_started(out, *names)
    for name in names:
        assert services.by_name(lake, name).daemon.pid() not in pids
    assert _secrets(lake) == before  # same certificate, keystore, logins and Kafka credentials
    assert_still_there(lake, sandbox, stored)  # read back through those logins
