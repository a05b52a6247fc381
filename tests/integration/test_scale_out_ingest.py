"""The lake's ingest path over two worker hosts (issue #24): kill -9 one worker's DataNode while `make ingest`
feeds tweets through Kafka and the raw sink lands them in HDFS (replication 2). No tweet is lost or landed
twice, the ingest's reconciliation balances, nothing goes to the DLQ, and `lake up` on that host brings the
DataNode back with every file readable.

The coordinator runs the NameNode, Kafka and the raw sink (the sink needs only Kafka and WebHDFS; the Hive
partitions it would add through the Thrift Server are not started here, and the sink goes on without them);
each worker runs a DataNode. Every host is started by `python -m lake up` with its own cluster description
(tests/integration/mini_cluster.py). Starts its own small cluster, never the shared stack; run it under the lock."""
from __future__ import annotations

import json
import os
import re
import signal
import time
from datetime import datetime
from types import SimpleNamespace

import pytest

from ingestion import topics
from ingestion.sources import synthetic
from lake.runtime import clients, hdfs_client, probes, process
from lake.settings import RAW_ROOT, RAW_SINK, RAW_SINK_GROUP, REJECTED_ROOT, Settings
from tests.integration.mini_cluster import MiniCluster
from tests.integration.test_ingest import assert_exactly_once

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

WORKERS = ("w1", "w2")
# ~30 s of ingest at RATE tweets/s; the sink rolls every ROLL_SECONDS, so a dozen rolls per partition land
# while it runs, some before the kill and most after it.
COUNT, RATE, SEED, DAYS = 30_000, 1_000, 24, 30
ROLL_SECONDS = 2


@pytest.fixture(scope="module")
def mc():
    with MiniCluster({w: ["datanode"] for w in WORKERS}, replication=2,
                     env={"LAKE_SINK_ROLL_SECONDS": str(ROLL_SECONDS)}) as cluster:
        cluster.up("coord", "namenode")
        for w in WORKERS:
            cluster.up(w)  # its post-step makes the lake's HDFS folders once the DataNode is in
        s = cluster.settings("coord")
        probes.wait_for(lambda: cluster.live_datanodes(2), 120, f"two live DataNodes (NameNode log: {s.log_dir})")
        cluster.up("coord", "kafka", "raw-sink")
        yield cluster


def _sink_status(s: Settings) -> dict:
    try:
        return json.loads(s.status_file(RAW_SINK).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _offsets(s: Settings, topic: str, group: str | None = None) -> tuple[dict[int, int], dict[int, int]]:
    """The topic's end offsets, and the group's committed ones (empty without a group), per partition."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(clients.kafka_config(s, **{"group.id": group or "it-scale-out-offsets", "enable.auto.commit": False}))
    try:
        parts = sorted(c.list_topics(topic, timeout=30).topics[topic].partitions)
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in parts}
        done = {tp.partition: max(tp.offset, 0)
                for tp in c.committed([TopicPartition(topic, p) for p in parts], timeout=30)} if group else {}
        return ends, done
    finally:
        c.close()


def _keys(s: Settings, topic: str, ends: dict[int, int], timeout: float = 60) -> list[str]:
    """Every record key of the topic up to `ends` (the producer keys each tweet by its id)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer(clients.kafka_config(s, **{"group.id": "it-scale-out-read", "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
    keys, want, deadline = [], sum(ends.values()), time.monotonic() + timeout
    try:
        while len(keys) < want:
            assert time.monotonic() < deadline, f"read {len(keys)} of {want} records of {topic} in {timeout} s"
            keys += [m.key().decode() for m in c.consume(num_messages=1000, timeout=1) if not m.error()]
    finally:
        c.close()
    return keys


def _raw_files(s: Settings) -> list[tuple[str, int]]:
    """(path, length) of every file of the raw zone: NameNode metadata only, no DataNode is asked."""
    c = hdfs_client.client(s)
    return sorted((f"{d}/{name}", st["length"]) for (d, _), _, files in c.walk(RAW_ROOT, status=True)
                  for name, st in files)


def _sink_log_events(log_text: str, since: float) -> dict:
    """What the sink logged from `since` (epoch s) on: its rolls' times, and its own warnings and errors (not
    the Thrift client's: the Hive partitions it would add have no Thrift Server here)."""
    rolls, trouble = [], []
    for line in log_text.splitlines():
        m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (\w+) raw-sink: ", line)
        if not m:
            continue
        t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000
        if t < since:
            continue
        if "rolled offsets" in line:
            rolls.append(t)
        elif m.group(3) in ("WARNING", "ERROR") and "could not register partition" not in line:
            trouble.append(line)
    return {"rolls": rolls, "trouble": trouble}


def test_a_killed_datanode_during_ingest_loses_and_duplicates_no_tweet(mc):
    s = mc.settings("coord")
    sink_log = s.log_file(RAW_SINK, stdout=True)
    ingest, out = mc.ingest("--source", "synthetic", "--count", str(COUNT), "--seed", str(SEED),
                            "--days", str(DAYS), "--rate", str(RATE), "--land-timeout", "300")
    t_start = time.monotonic()
    # The kill must land while tweets flow and after the sink has landed at least one roll of them.
    probes.wait_for(lambda: probes.ProbeResult(_sink_status(s).get("records", 0) > 0, str(_sink_status(s))),
                    120, f"raw-sink's first roll (log: {sink_log}; ingest output: {out})", interval=0.2,
                    alive=lambda: ingest.poll() is None)
    before = _sink_status(s)
    victim = mc.pid("w1", "datanode")
    os.kill(victim, signal.SIGKILL)
    killed_at, killed_wall = time.monotonic(), time.time()
    probes.wait_for(lambda: probes.ProbeResult(not process.pid_alive(victim), "killed"), 10, "w1's DataNode")
    assert ingest.poll() is None, f"the ingest ended before the kill; make COUNT larger:\n{out.read_text()}"

    # `make ingest` produces, then waits for the sink to commit up to the topic's end, then reconciles.
    rc = ingest.wait(timeout=600)
    text = out.read_text()
    ingest_s = time.monotonic() - t_start
    # The cluster's folder goes at teardown: a failure shows the reconciliation and the sink's last lines.
    why = f"{text[text.find('reconciliation'):]}\n--- {sink_log} ---\n{process.tail(sink_log, 40)}"
    assert rc == 0, f"make ingest exited {rc}: {why}"

    def row(name: str) -> str:
        m = re.search(rf"^\s+{re.escape(name)}\s+(\S+)", text, re.M)
        assert m, f"no {name!r} row in the reconciliation: {why}"
        return m.group(1)

    assert row("read") == row(f"produced to {topics.RAW}") == row("landed in HDFS (offsets)") == str(COUNT), why
    assert row(f"rejected to {topics.DLQ}") == row("not acknowledged by Kafka") == "0", why

    # The same from Kafka itself: the sink's committed offsets are the topic's end, and the DLQ is empty.
    def caught_up() -> probes.ProbeResult:
        ends, done = _offsets(s, topics.RAW, RAW_SINK_GROUP)
        return probes.ProbeResult(ends == done and sum(ends.values()) == COUNT, f"ends {ends}, committed {done}")

    probes.wait_for(caught_up, 120, f"raw-sink committing up to the end of {topics.RAW} (log: {sink_log})")
    ends, _ = _offsets(s, topics.RAW)
    assert sum(_offsets(s, topics.DLQ)[0].values()) == 0
    expected = [r.key for r in synthetic.generate(COUNT, seed=SEED, days=DAYS)]
    kafka_keys = _keys(s, topics.RAW, ends)
    assert sorted(kafka_keys) == sorted(expected) and len(set(expected)) == COUNT

    # With w1's DataNode still dead (the NameNode counts it live for minutes), Hadoop's own client reads
    # every landed file from the surviving replica: every tweet, once.
    files = _raw_files(s)
    cat = mc.fs_shell("-cat", *(f"{s.hdfs_uri}{p}" for p, _ in files))
    assert cat.returncode == 0, f"FsShell -cat of the raw zone: {cat.stderr.decode()[-2000:]}"
    assert len(cat.stdout) == sum(n for _, n in files)
    ids = [json.loads(line)["id"] for line in cat.stdout.splitlines()]
    assert len(ids) == COUNT and set(ids) == set(expected), \
        f"{len(ids)} landed lines, {len(set(ids))} distinct ids, {len(set(expected) - set(ids))} missing"

    events = _sink_log_events(sink_log.read_text(), killed_wall)
    gaps = [b - a for a, b in zip([killed_wall, *events["rolls"]], events["rolls"])]
    print({"ingest s": round(ingest_s, 1), "rolls landed before the kill": before.get("rolls"),
           "rolls after": len(events["rolls"]), "longest wait for a roll after the kill s": round(max(gaps), 1),
           "first roll after the kill s": round(gaps[0], 1),
           "rolls redone": sum("roll failed" in line for line in events["trouble"]),
           "CREATEs sent elsewhere": sum("does not answer" in line for line in events["trouble"]),
           "raw files": len(files), "kafka MiB": round(process.rss_mb(mc.pid("coord", "kafka")) or 0),
           "raw-sink MiB": round(process.rss_mb(mc.pid("coord", RAW_SINK)) or 0),
           "s from kill to landed": round(time.monotonic() - killed_at, 1)})
    for line in events["trouble"][:20]:
        print("  sink:", line)

    # `make up` on w1 starts its DataNode again; then WebHDFS (which may send a read to either DataNode) reads
    # every file, and each Kafka offset of each partition is in exactly one landed line (raw or rejected).
    assert "started" in mc.up("w1")  # which waits until the DataNode has registered with the NameNode
    lines = assert_exactly_once(s, SimpleNamespace(raw_root=RAW_ROOT, rejected_root=REJECTED_ROOT,
                                                   raw_topic=topics.RAW), ends)
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(ids)
    assert hdfs_client.client(s).status(REJECTED_ROOT, strict=False) is not None
    assert not [f for _, _, fs in hdfs_client.client(s).walk(REJECTED_ROOT) for f in fs], "rejects landed"
