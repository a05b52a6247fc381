"""The HDFS raw sink: tweets.raw -> the raw zone, unchanged JSON Lines, exactly once.

Layout (contracts.md):
    /lake/raw/tweets/ingest_date=YYYY-MM-DD/ingest_hour=HH/<topic>+<partition>+<first>+<last>.jsonl
    /lake/raw/_rejected/tweets/ingest_date=YYYY-MM-DD/<topic>+<partition>+<first>+<last>.jsonl

Ingest date and hour come from the Kafka record timestamp (set when it was
produced), so a replay of the same offsets lands in the same folders.

Exactly once, per Kafka partition, with a two-phase roll:
  1. buffered records are written to temporary files under the sink's state dir;
  2. an intent file lists (temporary, final) pairs and the offset range;
  3. each temporary file is renamed to its final name;
  4. the offset after the range is committed to Kafka.
On start (and on every partition assignment) recovery finishes the renames of
the last intent, deletes temporary files no intent mentions, and resumes at
max(committed offset, last intent's end + 1). A crash at any point therefore
either redoes a roll whose files never became visible, or completes one whose
files were all written: no offset is lost and none lands twice.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Callable

from ingestion import topics

log = logging.getLogger("raw-sink")

DEFAULT_GROUP = "lake-raw-sink"


@dataclass
class SinkConfig:
    bootstrap: str
    webhdfs_url: str
    hdfs_user: str
    topic: str = topics.RAW
    group_id: str = DEFAULT_GROUP
    raw_root: str = "/lake/raw/tweets"
    rejected_root: str = "/lake/raw/_rejected/tweets"
    state_root: str = "/lake/raw/_sink"
    roll_bytes: int = 64 * 1024 * 1024
    roll_seconds: float = 30.0
    status_file: str | None = None


class SinkError(RuntimeError):
    pass


@dataclass
class _Buffer:
    """What one Kafka partition has consumed since its last roll."""

    first: int | None = None
    last: int = -1
    opened: float = 0.0
    size: int = 0
    lines: dict[tuple[str, str], list[bytes]] = field(default_factory=dict)
    rejects: dict[str, list[bytes]] = field(default_factory=dict)
    count: int = 0

    def add(self, offset: int) -> None:
        if self.first is None:
            self.first, self.opened = offset, time.monotonic()
        self.last = offset
        self.count += 1


def file_name(topic: str, partition: int, first: int, last: int) -> str:
    # Zero-padded so that a folder listing sorts by offset.
    return f"{topic}+{partition}+{first:019d}+{last:019d}.jsonl"


def parse_file_name(name: str) -> tuple[str, int, int, int]:
    topic, partition, first, last = name.removesuffix(".jsonl").rsplit("+", 3)
    return topic, int(partition), int(first), int(last)


def ingest_slot(timestamp_ms: int) -> tuple[str, str]:
    t = datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%d"), t.strftime("%H")


def check_payload(value: bytes | None) -> tuple[bytes | None, str | None]:
    """The payload to land (one line), or a reason to reject it.

    JSON never needs a raw line break (inside strings they are escaped), so
    replacing CR/LF outside strings with spaces keeps the value byte-for-byte
    equal as JSON while keeping one record per line.
    """
    if not value:
        return None, "empty"
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid_utf8"
    try:
        obj = json.loads(text)
    except ValueError:
        return None, "invalid_json"
    if not isinstance(obj, dict):
        return None, "not_an_object"
    if b"\n" in value or b"\r" in value:
        value = value.replace(b"\r", b" ").replace(b"\n", b" ")
    return value, None


class RawSink:
    def __init__(self, cfg: SinkConfig, register_partition: Callable[[str, str], None] | None = None):
        from hdfs import InsecureClient

        self.cfg = cfg
        self.hdfs = InsecureClient(cfg.webhdfs_url, user=cfg.hdfs_user, timeout=60)
        self.register_partition = register_partition
        self.buffers: dict[int, _Buffer] = {}
        self.registered: set[tuple[str, str]] = set()
        self.pending_registration: set[tuple[str, str]] = set()
        self.stats = {"records": 0, "rejected": 0, "files": 0, "rolls": 0}
        self.landed: dict[int, int] = {}  # partition -> next offset to land
        self._consumer = None
        self._stop = threading.Event()

    # ---------------------------------------------------------------- paths
    def _state_dir(self, partition: int) -> str:
        return f"{self.cfg.state_root}/{self.cfg.topic}/p={partition}"

    def _intent_path(self, partition: int) -> str:
        return f"{self._state_dir(partition)}/intent.json"

    def _exists(self, path: str) -> bool:
        return self.hdfs.status(path, strict=False) is not None

    # ---------------------------------------------------------------- recovery
    def recover(self, partition: int) -> int:
        """Finish the last roll of a partition; returns the next offset to land (-1: none landed)."""
        tmp_dir = f"{self._state_dir(partition)}/tmp"
        self.hdfs.makedirs(tmp_dir)
        landed_next = -1
        intent = None
        try:
            with self.hdfs.read(self._intent_path(partition)) as r:
                intent = json.loads(r.read())
        except Exception:  # noqa: BLE001 - no intent, or one cut short before any rename started
            intent = None
        if intent:
            for tmp, final in intent["moves"]:
                if self._exists(final):
                    continue
                if not self._exists(tmp):
                    raise SinkError(f"roll {intent['first']}..{intent['last']} of partition {partition}: "
                                    f"neither {tmp} nor {final} exists; the raw zone was changed by hand")
                self.hdfs.makedirs(str(PurePosixPath(final).parent))
                self.hdfs.rename(tmp, final)
            landed_next = intent["last"] + 1
        referenced = {tmp for tmp, _ in intent["moves"]} if intent else set()
        for name in self.hdfs.list(tmp_dir):
            path = f"{tmp_dir}/{name}"
            if path not in referenced:
                self.hdfs.delete(path)
        return landed_next

    def _on_assign(self, consumer, partitions) -> None:
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        committed = {tp.partition: tp.offset for tp in
                     consumer.committed([TopicPartition(tp.topic, tp.partition) for tp in partitions], timeout=30)}
        for tp in partitions:
            landed_next = self.recover(tp.partition)
            start = max(committed.get(tp.partition, -1), landed_next)
            tp.offset = start if start >= 0 else OFFSET_BEGINNING
            if landed_next >= 0 and landed_next > committed.get(tp.partition, -1):
                consumer.commit(offsets=[TopicPartition(tp.topic, tp.partition, landed_next)], asynchronous=False)
            self.landed[tp.partition] = max(start, 0)
            self.buffers[tp.partition] = _Buffer()
            log.info("partition %d: resuming at offset %s", tp.partition, start if start >= 0 else "beginning")
        consumer.assign(partitions)

    def _on_revoke(self, consumer, partitions) -> None:
        # Uncommitted buffers are dropped: the next owner re-reads them from the committed offset.
        for tp in partitions:
            self.buffers.pop(tp.partition, None)
        consumer.unassign()

    # ---------------------------------------------------------------- consuming
    def _handle(self, msg) -> None:
        buf = self.buffers.setdefault(msg.partition(), _Buffer())
        buf.add(msg.offset())
        ts_type, ts = msg.timestamp()
        ts = ts if ts and ts > 0 else int(time.time() * 1000)
        day, hour = ingest_slot(ts)
        value, reason = check_payload(msg.value())
        if reason is None:
            buf.lines.setdefault((day, hour), []).append(value)
            buf.size += len(value) + 1
        else:
            raw = msg.value() or b""
            line = json.dumps({
                "reason": reason, "topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
                "timestamp": ts, "key": (msg.key() or b"").decode(errors="replace"),
                "headers": {k: (v or b"").decode(errors="replace") for k, v in (msg.headers() or [])},
                "payload": raw.decode("utf-8", errors="replace")}, ensure_ascii=False).encode()
            buf.rejects.setdefault(day, []).append(line)
            buf.size += len(line) + 1

    def roll(self, partition: int) -> None:
        """Make one partition's buffer durable and visible, then commit its offsets."""
        from confluent_kafka import TopicPartition

        buf = self.buffers.get(partition)
        if not buf or buf.first is None:
            return
        name = file_name(self.cfg.topic, partition, buf.first, buf.last)
        tmp_dir = f"{self._state_dir(partition)}/tmp"
        moves: list[tuple[str, str]] = []
        for (day, hour), lines in sorted(buf.lines.items()):
            tmp = f"{tmp_dir}/raw-{day}-{hour}-{name}"
            self.hdfs.write(tmp, data=b"\n".join(lines) + b"\n", overwrite=True)
            moves.append((tmp, f"{self.cfg.raw_root}/ingest_date={day}/ingest_hour={hour}/{name}"))
        for day, lines in sorted(buf.rejects.items()):
            tmp = f"{tmp_dir}/rejected-{day}-{name}"
            self.hdfs.write(tmp, data=b"\n".join(lines) + b"\n", overwrite=True)
            moves.append((tmp, f"{self.cfg.rejected_root}/ingest_date={day}/{name}"))
        intent = {"topic": self.cfg.topic, "partition": partition, "first": buf.first, "last": buf.last,
                  "moves": moves}
        self.hdfs.write(self._intent_path(partition), data=json.dumps(intent).encode(), overwrite=True)
        for tmp, final in moves:
            self.hdfs.makedirs(str(PurePosixPath(final).parent))
            self.hdfs.rename(tmp, final)
        self._consumer.commit(offsets=[TopicPartition(self.cfg.topic, partition, buf.last + 1)], asynchronous=False)
        self.landed[partition] = buf.last + 1
        self.stats["rolls"] += 1
        self.stats["files"] += len(moves)
        self.stats["records"] += sum(len(v) for v in buf.lines.values())
        self.stats["rejected"] += sum(len(v) for v in buf.rejects.values())
        self.pending_registration.update(buf.lines.keys())
        self.buffers[partition] = _Buffer()

    def _register_pending(self) -> None:
        if not self.register_partition:
            self.pending_registration.clear()
            return
        for slot in sorted(self.pending_registration - self.registered):
            try:
                self.register_partition(*slot)
                self.registered.add(slot)
            except Exception as e:  # noqa: BLE001 - the query path may be down; landing goes on
                log.warning("could not register partition %s/%s yet: %s", *slot, e)
                return
        self.pending_registration.clear()

    def _write_status(self, state: str) -> None:
        if not self.cfg.status_file:
            return
        import os

        tmp = f"{self.cfg.status_file}.tmp"
        with open(tmp, "w") as fh:
            json.dump({"state": state, "heartbeat": time.time(), "topic": self.cfg.topic,
                       "landed": self.landed, **self.stats}, fh)
        os.replace(tmp, self.cfg.status_file)

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        from confluent_kafka import Consumer

        self._consumer = Consumer({
            "bootstrap.servers": self.cfg.bootstrap, "group.id": self.cfg.group_id,
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest", "fetch.max.bytes": 64 * 1024 * 1024,
            "max.partition.fetch.bytes": 8 * 1024 * 1024,
        })
        self._consumer.subscribe([self.cfg.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        last_status = 0.0
        try:
            while not self._stop.is_set():
                msgs = self._consumer.consume(num_messages=5000, timeout=0.5)
                for msg in msgs:
                    if msg.error():
                        log.warning("kafka: %s", msg.error())
                        continue
                    self._handle(msg)
                now = time.monotonic()
                for partition, buf in list(self.buffers.items()):
                    if buf.first is not None and (buf.size >= self.cfg.roll_bytes
                                                  or now - buf.opened >= self.cfg.roll_seconds):
                        self.roll(partition)
                if self.pending_registration:
                    self._register_pending()
                if now - last_status >= 2:
                    # "running" only once partitions are assigned and recovered: that is what readiness means.
                    self._write_status("running" if self.landed else "starting")
                    last_status = now
        finally:
            # A clean stop lands what it has; a kill -9 leaves it to recovery.
            for partition in list(self.buffers):
                try:
                    self.roll(partition)
                except Exception as e:  # noqa: BLE001
                    log.error("final roll of partition %d failed (recovery will redo it): %s", partition, e)
            self._register_pending()
            self._write_status("stopped")
            self._consumer.close()


def hive_partition_registrar(host: str, port: int, user: str, table: str = "raw.tweets") -> Callable[[str, str], None]:
    """Adds a landed (date, hour) folder as a partition through the Spark Thrift Server."""
    def register(day: str, hour: str) -> None:
        from pyhive import hive

        conn = hive.connect(host=host, port=port, username=user, auth="NONE")
        try:
            conn.cursor().execute(
                f"ALTER TABLE {table} ADD IF NOT EXISTS PARTITION (ingest_date='{day}', ingest_hour='{hour}')")
        finally:
            conn.close()
    return register


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingestion.sink", description=__doc__.split("\n")[0])
    ap.add_argument("--topic", default=topics.RAW)
    ap.add_argument("--group", default=DEFAULT_GROUP)
    ap.add_argument("--raw-root", default="/lake/raw/tweets")
    ap.add_argument("--rejected-root", default="/lake/raw/_rejected/tweets")
    ap.add_argument("--state-root", default="/lake/raw/_sink")
    ap.add_argument("--roll-seconds", type=float, default=30.0)
    ap.add_argument("--roll-mb", type=float, default=64.0)
    ap.add_argument("--table", default="raw.tweets", help="Hive table whose partitions the sink adds")
    ap.add_argument("--no-register", action="store_true", help="do not add partitions to any table")
    ap.add_argument("--status-file")
    ap.add_argument("--tag", help="marker the launcher uses to recognise its process (lake.service=raw-sink)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stdout)
    from lake import settings

    s = settings.get()
    cfg = SinkConfig(bootstrap=s.kafka_bootstrap, webhdfs_url=s.webhdfs_url, hdfs_user=s.user,
                     topic=args.topic, group_id=args.group, raw_root=args.raw_root,
                     rejected_root=args.rejected_root, state_root=args.state_root,
                     roll_seconds=args.roll_seconds, roll_bytes=int(args.roll_mb * 1024 * 1024),
                     status_file=args.status_file)
    registrar = None if args.no_register else hive_partition_registrar(s.host, s.ports["thrift"], s.user, args.table)
    sink = RawSink(cfg, registrar)
    signal.signal(signal.SIGTERM, lambda *_: sink.stop())
    signal.signal(signal.SIGINT, lambda *_: sink.stop())
    log.info("raw sink: %s -> %s (roll %.0fs / %.0f MiB)", cfg.topic, cfg.raw_root, cfg.roll_seconds, args.roll_mb)
    sink.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
