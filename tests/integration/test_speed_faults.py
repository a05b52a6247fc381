"""kill -9 of Kafka, then of the metastore, under a running speed layer (issue #6, "Bad input and faults").

The streaming job is not restarted: it must ride out each outage by itself (a failed query restarts
from its checkpoint; a metastore call waits and retries, spark/jobs/stream_speed.py) once `lake up`
has brought the killed daemon back, as an operator would. Afterwards every Kafka record is in
speed.tweets exactly once and serving.tweets counts every produced tweet once.

A private pipeline (lake/demos/sandbox.py: own topic, stream, checkpoint and schemas). The
killed daemons are the stack's own, since there is one Kafka and one metastore; `lake up` restarts
them and leaves the rest running.
"""
from __future__ import annotations

import uuid

import pytest
from stack_ops import assert_started, kill9, lake_up

from lake.demos.sandbox import SpeedSandbox, ids_of, tweet_payloads
from lake.runtime import clients

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def box(lake):
    b = SpeedSandbox(lake, f"sf{uuid.uuid4().hex[:8]}", trigger_seconds=5.0)
    try:
        b.create()
        b.start_speed()
        b.produced, b.records = set(), 0
        yield b
    finally:
        b.destroy()


def produce(box: SpeedSandbox, payloads) -> None:
    box.produce(payloads)
    box.produced |= ids_of(payloads)
    box.records += len(payloads)


def assert_exactly_once(box: SpeedSandbox) -> None:
    assert box.procs["speed"].poll() is None, f"the streaming job died (log {box.run_dir / 'speed.out'})"
    box.wait_speed(box.records, timeout=600)
    rows = clients.trino(box.s, f"SELECT count(*), count(DISTINCT format('%d:%d', kafka_partition, kafka_offset)) "
                                f"FROM hive.{box.dbs['SPEED_DB']}.tweets")[0]
    assert rows == (box.records, box.records), f"speed (rows, distinct Kafka records) {rows}, want {box.records}"
    counts = box.serving_counts()
    assert counts["rows"] == counts["distinct"] == len(box.produced), counts
    assert box.serving_ids() == box.produced


def test_speed_layer_resumes_after_kafka_kill9(lake, box):
    produce(box, tweet_payloads(120, seed=71))
    box.wait_speed(box.records)
    produce(box, tweet_payloads(120, seed=72))
    kill9(lake, "kafka")  # batches of these 120 may be in flight or not yet read
    assert_started(lake_up(), "kafka")
    produce(box, tweet_payloads(120, seed=73))  # after the restart, into the same checkpointed stream
    assert_exactly_once(box)


def test_speed_layer_resumes_after_metastore_kill9(lake, box):
    produce(box, tweet_payloads(120, seed=74))
    kill9(lake, "metastore")
    produce(box, tweet_payloads(120, seed=75))  # Kafka is up: the stream reads them, publishing waits
    assert_started(lake_up(), "metastore")
    assert_exactly_once(box)
