"""Kafka's access matrix (issue 21): who may log in, read and write, on the real broker.

The denials are asked of the lake's own tweets.raw (a denied request changes nothing). The allows run the very
same grants (kafka_acls.retarget) on the test's own prefixed topics, so no test record reaches the lake's raw
zone and the raw sink's consumer group is never joined. Runs against the shared stack, or against any broker
the environment points at (LAKE_VAR_DIR, LAKE_PORT_KAFKA): it starts only Kafka."""
from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   ResourcePatternType, ResourceType)

from ingestion import topics
from lake import settings
from lake.runtime import clients
from lake.settings import (KAFKA_BRIDGE, KAFKA_BROWSER, KAFKA_PRODUCER, KAFKA_SINK, KAFKA_SPEED, RAW_SINK_GROUP,
                           TOPIC_RAW)
from lake.stack import kafka_acls
from lake.stack import lifecycle as stack

DENIED = {"TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED"}


@pytest.fixture(scope="module")
def kafka():
    s = settings.get()
    stack.up(s, only=["kafka"])  # applies the credentials and ACLs (Kafka.after_start) and the topics
    return s


@pytest.fixture(scope="module")
def box(kafka):
    """The lake's topics under a prefix, with the lake's grants moved onto them; all removed afterwards."""
    prefix = f"it.{uuid.uuid4().hex[:10]}."
    topics.ensure(kafka.kafka_bootstrap, prefix=prefix)
    admin = AdminClient(clients.kafka_config(kafka))
    acls = kafka_acls.bindings(kafka_acls.retarget(prefix))
    for fut in admin.create_acls(acls).values():
        fut.result(30)
    yield prefix
    filters = [AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation,
                                b.permission_type) for b in acls]
    for fut in admin.delete_acls(filters).values():
        fut.result(30)
    topics.delete(kafka.kafka_bootstrap, prefix)


def produce(s, principal: str, topic: str) -> KafkaError | None:
    """The delivery error of one record (None: written)."""
    result = []
    p = Producer(clients.kafka_config(s, principal=principal, **{"message.timeout.ms": 15000, "acks": "all"}))
    p.produce(topic, b'{"access": "test"}', on_delivery=lambda err, msg: result.append(err))
    p.flush(30)
    assert result, f"no delivery report for {principal} on {topic} within 30 s (log: {s.log_file('kafka')})"
    return result[0]


def fetch(s, principal: str, topic: str, group: str, want: int = 1, timeout: float = 20) -> tuple[list, set]:
    """(values, error names) of an assigned read from the start of partition 0..n: no group is joined and no
    offset committed; only the topic's READ is asked."""
    c = Consumer(clients.kafka_config(s, principal=principal, **{"group.id": group, "enable.auto.commit": False}))
    try:
        parts = topics.SPECS[TOPIC_RAW].partitions
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
        values, errors = [], set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(values) < want and not errors:
            msg = c.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                errors.add(msg.error().name())
            else:
                values.append(msg.value())
        return values, errors
    finally:
        c.close()


def test_no_credentials_is_refused(kafka):
    # A client that does not speak SASL is dropped before any request: no metadata, no topic.
    with pytest.raises(KafkaException) as e:
        AdminClient({"bootstrap.servers": kafka.kafka_bootstrap}).list_topics(timeout=5)
    assert e.value.args[0].name() == "_TRANSPORT"


def test_controller_listener_refuses_a_client_without_credentials(kafka):
    # Only the node's broker logs in there (SASL/PLAIN); an anonymous client is no super user.
    with pytest.raises(KafkaException):
        AdminClient({"bootstrap.servers": f"{kafka.host}:{kafka.ports['kafka_controller']}"}).list_topics(timeout=5)


def test_wrong_password_is_an_authentication_failure(kafka):
    seen = []
    conf = clients.kafka_config(kafka, principal=KAFKA_PRODUCER)
    conf.update({"sasl.password": "not-" + conf["sasl.password"], "error_cb": lambda err: seen.append(err.name())})
    admin = AdminClient(conf)
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    admin.poll(1)  # serves the error callback
    assert "_AUTHENTICATION" in seen, seen


@pytest.mark.parametrize("principal", [KAFKA_PRODUCER, KAFKA_BRIDGE])
def test_writers_may_not_read_tweets_raw(kafka, principal):
    values, errors = fetch(kafka, principal, TOPIC_RAW, RAW_SINK_GROUP)
    assert values == [] and errors & DENIED, errors


@pytest.mark.parametrize("principal", [KAFKA_SINK, KAFKA_SPEED, KAFKA_BROWSER])
def test_readers_may_not_write_tweets_raw(kafka, principal):
    err = produce(kafka, principal, TOPIC_RAW)
    assert err is not None and err.name() == "TOPIC_AUTHORIZATION_FAILED", err


def test_producer_may_not_join_the_sink_group(kafka):
    c = Consumer(clients.kafka_config(kafka, principal=KAFKA_PRODUCER, **{"group.id": RAW_SINK_GROUP}))
    try:
        c.subscribe([TOPIC_RAW])
        msg = c.poll(10)
        assert msg is not None and msg.error() is not None and msg.error().name() in DENIED
    finally:
        c.close()


def test_producer_writes_and_sink_speed_browser_read(kafka, box):
    raw = box + TOPIC_RAW
    for writer in (KAFKA_PRODUCER, KAFKA_BRIDGE):
        assert produce(kafka, writer, raw) is None
    for reader in (KAFKA_SINK, KAFKA_SPEED, KAFKA_BROWSER):
        values, errors = fetch(kafka, reader, raw, f"lake-speed-it-{box}" if reader == KAFKA_SPEED else RAW_SINK_GROUP,
                               want=2)
        assert errors == set() and values == [b'{"access": "test"}'] * 2, (reader, errors, values)


def test_sink_may_not_write_the_dlq_and_producer_may(kafka, box):
    dlq = box + topics.DLQ
    assert produce(kafka, KAFKA_PRODUCER, dlq) is None
    assert produce(kafka, KAFKA_SINK, dlq).name() == "TOPIC_AUTHORIZATION_FAILED"


def test_broker_holds_exactly_the_lake_grants(kafka):
    admin = AdminClient(clients.kafka_config(kafka))
    present = admin.describe_acls(AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                                   AclOperation.ANY, AclPermissionType.ANY)).result(30)
    lake_topics = {kafka_acls._key(b) for b in present if not b.name.startswith("it.")}
    assert lake_topics == {kafka_acls._key(b) for b in kafka_acls.bindings()}
