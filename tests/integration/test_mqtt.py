"""The MQTT path on the real stack: shared real tweets published over MQTT, carried to Kafka by the
bridge, landed by a raw sink and built into bronze, while the bridge is killed with -9 and the
broker restarted in the middle of the replay.

Isolation: a private Mosquitto (lake/stack/mosquitto.py PrivateBroker: the stack's config and service class, tmp var dir, free port) and
the bridge started by the stack's own lifecycle (`lake up`'s ensure_up, `lake down`'s stop) on a
private var dir, producing to the sandbox's Kafka topics (lake/demos/sandbox.py: own topic pair,
raw sink, HDFS dir and schemas). The stack's own broker and bridge are not touched, and this
module does not start the stack (it needs Kafka, HDFS, the metastore and Trino up).
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingestion.mqtt_bridge import status as bridge_status
from ingestion.records import Record
from ingestion.sources import mqtt
from lake import secrets, settings
from lake.demos.sandbox import SpeedSandbox
from lake.runtime import clients, probes, process, spark
from lake.settings import KAFKA_ADMIN, KAFKA_BRIDGE
from lake.stack import lifecycle
from lake.stack.mosquitto import MqttBridge
from spark.transforms import pii
from lake.stack.mosquitto import PrivateBroker

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "tweets"
KEY = "integration-test-key-0123456789"
RATE = 400  # tweets/s: slow enough that the kill and the restart land in the middle of the replay


@pytest.fixture(scope="module")
def stack():
    s = settings.get()
    from lake.stack.kafka import Kafka

    ready = Kafka(s).probe()
    if not ready:
        pytest.exit(f"Kafka is not up ({ready.detail}); start the stack with `make up`", returncode=1)
    return s


class Path_:
    """The private broker, the bridge as a service of a private var dir, and the sandbox behind them."""

    def __init__(self, s, tmp: Path):
        self.tag = uuid.uuid4().hex[:8]
        self.box = SpeedSandbox(s, self.tag)
        self.broker = PrivateBroker(tmp / "broker")
        self.kafka_prefix = f"it.{self.tag}."
        self.topic = f"tweets/it-{self.tag}"
        self.env = {"LAKE_VAR_DIR": str(tmp / "bridge"), "LAKE_PORT_MQTT": str(self.broker.port),
                    "LAKE_MQTT_KAFKA_PREFIX": self.kafka_prefix,
                    # the private var dir holds no Kafka credentials (only `make up` creates them; a client
                    # there stops with one line): the bridge logs in to the stack's broker with the stack's,
                    # handed over in the environment as any deployment may; on a sandbox's topics it is the admin
                    **{f"LAKE_KAFKA_{who.upper()}_PASSWORD": secrets.kafka_password(s, who)
                       for who in (KAFKA_ADMIN, KAFKA_BRIDGE)}}
        self.bs = settings.load({**os.environ, **self.env})
        self.bridge = MqttBridge(self.bs)

    def start_bridge(self) -> str:
        """What `make up` does for the bridge (start it unless it runs and is healthy)."""
        old = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)   # the service's env() hands the launcher's environment on
        try:
            for d in (self.bs.log_dir, self.bs.run_dir):
                d.mkdir(parents=True, exist_ok=True)
            return lifecycle.ensure_up(self.bridge)
        finally:
            for k, v in old.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)

    def kill9_bridge(self) -> None:
        pid = self.bridge.daemon.pid()
        os.kill(pid, signal.SIGKILL)
        probes.wait_for(lambda: probes.ProbeResult(not process.pid_alive(pid), f"pid {pid}"), 10,
                        f"killed bridge to exit (log {self.bridge.log_file})")


@pytest.fixture(scope="module")
def path(stack, tmp_path_factory):
    p = Path_(stack, tmp_path_factory.mktemp("mqtt"))
    try:
        p.box.create()
        p.box.start_sink()
        p.broker.start()
        assert p.start_bridge() == "started"
        yield p
    finally:
        p.bridge.daemon.stop(timeout=30)
        p.broker.stop()
        p.box.destroy()


def read_topic(s, topic: str, until, timeout: float, what: str) -> list:
    """Every message of `topic` from the start, read until `until(messages)` holds."""
    from confluent_kafka import Consumer

    c = Consumer(clients.kafka_config(s.kafka_bootstrap, **{"group.id": f"it-read-{uuid.uuid4().hex[:8]}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    c.subscribe([topic])
    out = []
    deadline = time.monotonic() + timeout
    try:
        while not until(out):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: {len(out)} message(s) on {topic} after {timeout:.0f}s")
            m = c.poll(0.5)
            if m is not None and not m.error():
                out.append(m)
        return out
    finally:
        c.close()


@pytest.fixture(scope="module")
def replayed(path):
    """One replay of the shared files over MQTT; a kill -9 of the bridge after a third (then `make
    up` restarts it) and a broker restart after two thirds, both while the publisher runs."""
    items = list(mqtt.records([SHARED]))
    events = {len(items) // 3: "kill", 2 * len(items) // 3: "broker"}
    done: list[str] = []

    def with_faults():
        from ingestion.sources.pacing import paced

        for n, item in enumerate(paced(items, RATE)):
            if events.get(n) == "kill":
                path.kill9_bridge()
                done.append(f"bridge killed at {n}, restart: {path.start_bridge()}")
            elif events.get(n) == "broker":
                path.broker.restart()
                done.append(f"broker restarted at {n}")
            yield item

    stats = mqtt.publish(with_faults(), "127.0.0.1", path.broker.port, path.topic, ack_timeout=60)
    assert len(done) == 2 and "restart: started" in done[0], done
    return items, stats


def test_every_tweet_reaches_kafka_and_bad_ones_the_dlq_with_their_reason(path, replayed):
    items, stats = replayed
    assert stats.published == len(items) and stats.failed == 0
    want_ids = {i.key for i in items if isinstance(i, Record)}
    want_reasons = Counter(i.reason for i in items if not isinstance(i, Record))
    s = path.box.s
    raw = read_topic(s, f"{path.kafka_prefix}tweets.raw", lambda ms: {m.key().decode() for m in ms} >= want_ids,
                     180, f"bridge (log {path.bridge.log_file})")
    dlq = read_topic(s, f"{path.kafka_prefix}tweets.dlq", lambda ms: len(ms) >= sum(want_reasons.values()),
                     120, f"bridge (log {path.bridge.log_file})")
    got_ids = {m.key().decode() for m in raw}
    assert got_ids == want_ids
    headers = [dict(m.headers()) for m in raw + dlq]
    assert {h["origin"] for h in headers} == {f"mqtt:{path.topic}".encode()}
    assert {h["source"] for h in headers} == {b"mqtt"}
    # Exactly the reader's rejects, with the reader's reasons: the bridge judged the same bytes.
    assert Counter(dict(m.headers())["reason"].decode() for m in dlq) == want_reasons
    records = sum(isinstance(i, Record) for i in items)
    print(f"\nMQTT replay: {len(items)} published, {records} records -> {len(raw)} Kafka messages on raw "
          f"({len(raw) - records} redelivered after the kill -9 / restart), {len(dlq)} to the DLQ {dict(want_reasons)}")
    assert len(raw) >= records
    st = bridge_status.read(path.bridge.status_file)
    assert st["state"] == "running" and st["in_flight"] == 0 or read_in_flight_drains(path)


def read_in_flight_drains(path) -> bool:
    probes.wait_for(lambda: probes.ProbeResult(
        (bridge_status.read(path.bridge.status_file) or {}).get("in_flight") == 0, "bridge in flight"), 30,
        f"mqtt bridge draining (log {path.bridge.log_file})")
    return True


def test_bronze_holds_every_valid_tweet_once(path, replayed, monkeypatch):
    items, _ = replayed
    s, box = path.box.s, path.box
    want_ids = {int(i.key) for i in items if isinstance(i, Record)}
    raw_count = box.end_offsets()
    day = datetime.now(timezone.utc).date().isoformat()
    box.wait_landed(day, raw_count, timeout=240)
    monkeypatch.setenv(pii.KEY_ENV, KEY)  # spark.submit passes the environment to the job
    out = spark.submit(s, s.root / "spark/jobs/build_bronze.py",
                       ["--date", day, "--raw-table", f"{box.prefix}raw.tweets", "--bronze-db", f"{box.prefix}bronze"],
                       master="local[2]", name=f"it-mqtt-bronze-{path.tag}", timeout=900)
    assert "BRONZE_RESULT " in out
    rows = clients.trino(s, f"SELECT tweet_id FROM hive.{box.prefix}bronze.tweets")
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "a tweet is in bronze twice"
    rejected = clients.trino(s, f"SELECT reason, count(*) FROM hive.{box.prefix}bronze.tweets_rejected GROUP BY 1")
    # Every valid tweet once; bronze's own stricter checks (its reasons) account for any it refused.
    missing = want_ids - set(ids)
    assert set(ids) <= want_ids
    assert len(missing) <= sum(n for _, n in rejected), (len(missing), rejected)
    print(f"\nbronze: {len(ids)} tweets once each of {len(want_ids)} published ids, raw held {raw_count} "
          f"records (duplicates stay in raw); bronze rejects {rejected}")


def test_make_ingest_source_mqtt_reconciles_with_the_bridge(path, replayed):
    """`make ingest SOURCE=mqtt` as a user runs it (a process), pointed at the private broker and bridge."""
    import subprocess
    import sys

    v1 = SHARED / "v1-streaming"
    items = list(mqtt.records([v1]))
    records = sum(isinstance(i, Record) for i in items)
    r = subprocess.run([sys.executable, "-m", "ingestion", "--source", "mqtt", "--files", str(v1),
                        "--mqtt-source", f"it-{path.tag}", "--rate", "500", "--land-timeout", "120"],
                       env={**os.environ, **path.env}, cwd=path.box.s.root, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [ln.strip() for ln in r.stdout.splitlines()]

    class Rows(dict):
        def __missing__(self, name):   # a row's value: what follows its name on its line
            found = [ln[len(name):].strip() for ln in lines if ln.startswith(name + " ")]
            assert found, f"no row {name!r} in:\n{r.stdout}"
            return found[0]
    rows = Rows()
    assert rows["read"] == str(len(items)) and rows["refused by the broker"] == "0"
    assert rows[f"published to MQTT tweets/it-{path.tag}"] == str(len(items))
    assert rows["bridge: messages in"] == str(len(items))
    assert rows["bridge: delivered to tweets.raw"] == str(records)
    assert rows["bridge: rejected to tweets.dlq"] == str(len(items) - records)
    assert rows["bridge: in flight"] == "0"
    # The private var dir has no raw sink: the run says so instead of waiting.
    assert rows["landed in HDFS (offsets)"] == "not waited" and "raw-sink is not running" in r.stderr


def test_status_lists_the_bridge_metrics_and_down_stops_it(path, replayed):
    rows = {r.service: r for r in lifecycle.status_rows(path.bs)}
    assert rows["mqtt-bridge"].state == "healthy"
    lines = path.bridge.status_lines()
    assert lines and "delivered=" in lines[0] and "in_flight=" in lines[0]
    assert path.bridge.daemon.stop(timeout=30)
    assert {r.service: r for r in lifecycle.status_rows(path.bs)}["mqtt-bridge"].state == "down"
    assert bridge_status.read(path.bridge.status_file)["state"] == "stopped"
