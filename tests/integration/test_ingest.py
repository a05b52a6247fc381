"""Tweets through real Kafka into the real HDFS raw zone, exactly once.

Each test has its own topics (prefix), HDFS roots, consumer group and Hive
schema, and runs its own raw sink process, so the stack's own sink and data are
never touched.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion import producer, topics
from ingestion.sink import raw_sink as sink_mod
from ingestion.sources import synthetic
from ingestion.sources.replay import ReplayStats, replay
from lake.pipeline import ddl
from lake.runtime import clients, hdfs_client
from lake.settings import ROOT
from tests.shared_tweets import KNOWN_BAD, expected_records


@dataclass
class Box:
    prefix: str
    raw_root: str
    rejected_root: str
    state_root: str
    group: str
    schema: str
    status: Path

    @property
    def raw_topic(self) -> str:
        return self.prefix + topics.RAW


@pytest.fixture
def box(lake, sandbox, tmp_path):
    b = Box(prefix=f"{sandbox.topic}.", raw_root=f"{sandbox.hdfs_dir}/raw/tweets",
            rejected_root=f"{sandbox.hdfs_dir}/raw/_rejected/tweets", state_root=f"{sandbox.hdfs_dir}/raw/_sink",
            group=f"it-sink-{uuid.uuid4().hex[:8]}", schema=sandbox.schema, status=tmp_path / "sink.status.json")
    topics.ensure(lake.kafka_bootstrap, prefix=b.prefix)
    ddl.apply_layer(lake, "raw", RAW_DB=b.schema, RAW_ROOT=f"{lake.hdfs_uri}{b.raw_root}")
    yield b
    topics.delete(lake.kafka_bootstrap, b.prefix)


class SinkProcess:
    """The real sink as its own process, so it can be killed with SIGKILL."""

    def __init__(self, b: Box, roll_seconds: float = 1.0):
        self.b, self.roll_seconds, self.proc = b, roll_seconds, None

    def start(self) -> None:
        argv = [sys.executable, "-m", "ingestion.sink", "--topic", self.b.raw_topic, "--group", self.b.group,
                "--raw-root", self.b.raw_root, "--rejected-root", self.b.rejected_root,
                "--state-root", self.b.state_root, "--roll-seconds", str(self.roll_seconds),
                "--table", f"{self.b.schema}.tweets", "--status-file", str(self.b.status)]
        self.b.status.unlink(missing_ok=True)
        log = open(self.b.status.with_suffix(".log"), "ab")
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"sink exited: {self.b.status.with_suffix('.log').read_text()[-2000:]}"
            try:
                if json.loads(self.b.status.read_text())["state"] == "running":
                    return
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.2)
        raise AssertionError("test sink did not become ready in 90s")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)


@pytest.fixture
def sink(box):
    sp = SinkProcess(box)
    yield sp
    sp.stop()


def high_watermarks(lake, topic):
    from ingestion.__main__ import high_watermarks as hw

    return hw(lake.kafka_bootstrap, topic)


def wait_landed(lake, b: Box, timeout=180):
    from ingestion.__main__ import wait_landed as wl

    target = high_watermarks(lake, b.raw_topic)
    wl(lake.kafka_bootstrap, b.raw_topic, b.group, target, timeout, "the test sink log")
    return target


def landed_files(lake, root: str) -> dict[str, bytes]:
    c = hdfs_client.client(lake)
    out = {}
    if c.status(root, strict=False) is None:
        return out
    for dirpath, _, files in c.walk(root):
        for f in files:
            with c.read(f"{dirpath}/{f}") as r:
                out[f"{dirpath}/{f}"] = r.read()
    return out


def topic_values(lake, topic: str, target: dict[int, int], timeout: float = 60) -> list[bytes]:
    """Every record value of the topic, read back from Kafka up to the given end offsets."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer(clients.kafka_config(lake.kafka_bootstrap, **{"group.id": f"it-read-{uuid.uuid4().hex[:8]}",
                  "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in target])
    values, want, deadline = [], sum(target.values()), time.monotonic() + timeout
    try:
        while len(values) < want:
            assert time.monotonic() < deadline, f"read {len(values)} of {want} records of {topic} in {timeout}s"
            values += [m.value() for m in c.consume(num_messages=1000, timeout=1) if not m.error()]
    finally:
        c.close()
    return values


def assert_exactly_once(lake, b: Box, target: dict[int, int]) -> list[bytes]:
    """Every offset of every partition is in exactly one landed line (raw or rejected)."""
    lines_per_range: dict[tuple[int, int, int], int] = defaultdict(int)
    raw_lines: list[bytes] = []
    for root, is_raw in ((b.raw_root, True), (b.rejected_root, False)):
        for path, data in landed_files(lake, root).items():
            topic, partition, first, last = sink_mod.parse_file_name(path.rsplit("/", 1)[1])
            assert topic == b.raw_topic
            lines = data.rstrip(b"\n").split(b"\n") if data else []
            lines_per_range[(partition, first, last)] += len(lines)
            if is_raw:
                raw_lines += lines
    for partition, end in target.items():
        ranges = sorted((f, l) for (p, f, l) in lines_per_range if p == partition)
        expected_first = 0
        for first, last in ranges:
            assert first == expected_first, f"partition {partition}: gap or overlap at offset {first}"
            assert lines_per_range[(partition, first, last)] == last - first + 1, \
                f"partition {partition} range {first}..{last}: lines do not match offsets"
            expected_first = last + 1
        assert expected_first == end, f"partition {partition}: landed up to {expected_first}, produced {end}"
    return raw_lines


def test_replay_of_every_shared_file_lands_what_the_files_hold(lake, box, sink, shared_data):
    sink.start()
    stats = ReplayStats()
    result = producer.produce(replay(shared_data / "tweets", stats=stats), lake.kafka_bootstrap,
                              source="replay", prefix=box.prefix)
    assert result.reconciles and result.failed == 0
    assert result.produced == expected_records(shared_data / "tweets")
    assert result.rejected == len(KNOWN_BAD)

    target = wait_landed(lake, box)
    raw_lines = assert_exactly_once(lake, box, target)
    assert len(raw_lines) == result.produced
    # Unchanged payloads: the landed lines are, byte for byte, the values in the topic.
    assert sorted(raw_lines) == sorted(topic_values(lake, box.raw_topic, target))
    assert all(isinstance(json.loads(line), dict) for line in raw_lines)

    # The DLQ got every reject with its reason and origin.
    from confluent_kafka import Consumer

    c = Consumer(clients.kafka_config(lake.kafka_bootstrap, **{"group.id": f"it-{uuid.uuid4()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    c.subscribe([box.prefix + topics.DLQ])
    reasons, deadline = [], time.monotonic() + 60
    while len(reasons) < len(KNOWN_BAD) and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is not None and not m.error():
            h = dict(m.headers())
            assert h["origin"] and h["source"] == b"replay"
            reasons.append(h["reason"].decode())
    c.close()
    assert sorted(reasons) == sorted(KNOWN_BAD.values())

    # raw.tweets in the sandbox schema: partitions registered by the sink, one row per record.
    deadline = time.monotonic() + 60
    while True:
        rows = clients.trino(lake, f"SELECT count(*) FROM hive.{box.schema}.tweets")
        if rows == [(result.produced,)] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert rows == [(result.produced,)]


def test_sink_rejects_non_json_to_the_rejected_zone(lake, box, sink):
    from confluent_kafka import Producer

    sink.start()
    p = Producer(clients.kafka_config(lake.kafka_bootstrap, **{"enable.idempotence": True, "acks": "all"}))
    for value in (b'{"id": "1", "text": "ok"}', b"not json", b"\xff\xfe", b'{"id": "2",\n "text": "two lines"}'):
        p.produce(box.raw_topic, value=value, key=b"k")
    assert p.flush(30) == 0
    target = wait_landed(lake, box)
    raw_lines = assert_exactly_once(lake, box, target)
    assert sorted(raw_lines) == sorted([b'{"id": "1", "text": "ok"}', b'{"id": "2",  "text": "two lines"}'])
    rejected = [json.loads(line) for data in landed_files(lake, box.rejected_root).values()
                for line in data.rstrip(b"\n").split(b"\n")]
    assert sorted(r["reason"] for r in rejected) == ["invalid_json", "invalid_utf8"]
    assert all(r["topic"] == box.raw_topic and "offset" in r for r in rejected)


def test_kill9_of_the_sink_mid_stream_loses_and_duplicates_nothing(lake, box, sink):
    n = 12_000
    sink.start()
    result: dict = {}

    def produce_slowly():
        from ingestion.sources.pacing import paced

        result["stats"] = producer.produce(paced(synthetic.generate(n, seed=42), 1500), lake.kafka_bootstrap,
                                           source="synthetic", prefix=box.prefix)

    t = threading.Thread(target=produce_slowly)
    t.start()
    time.sleep(3.5)
    sink.kill9()  # mid-stream, typically between or inside rolls
    time.sleep(1.0)
    sink.start()
    t.join(120)
    assert result["stats"].produced == n and result["stats"].failed == 0

    target = wait_landed(lake, box)
    assert sum(target.values()) == n
    raw_lines = assert_exactly_once(lake, box, target)
    ids = [json.loads(line)["id"] for line in raw_lines]
    assert len(ids) == n and len(set(ids)) == n
