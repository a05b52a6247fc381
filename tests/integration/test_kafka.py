"""A Kafka produce/consume round trip on the real broker."""
from __future__ import annotations

from confluent_kafka.admin import AdminClient

from lake.demos import smoke
from lake.runtime import clients


def test_produce_consume_round_trip(lake, sandbox):
    got = smoke.kafka_roundtrip(lake, sandbox.topic, n=25)
    assert len(got) == 25 and len(set(got)) == 25


def test_broker_advertises_loopback(lake):
    md = AdminClient(clients.kafka_config(lake.kafka_bootstrap)).list_topics(timeout=10)
    hosts = {(b.host, b.port) for b in md.brokers.values()}
    assert hosts == {(lake.host, lake.ports["kafka"])}
