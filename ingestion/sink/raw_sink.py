"""The HDFS raw sink: tweets.raw -> the raw zone, unchanged JSON Lines, exactly once.

Layout (contracts.md):
    /lake/raw/tweets/ingest_date=YYYY-MM-DD/ingest_hour=HH/<topic>+<partition>+<first>+<last>.jsonl
    /lake/raw/_rejected/tweets/ingest_date=YYYY-MM-DD/<topic>+<partition>+<first>+<last>.jsonl

Ingest date and hour come from the Kafka record timestamp (set when it was
produced), so a replay of the same offsets lands in the same folders.

Exactly once, per Kafka partition, with a two-phase roll (ingestion/sink/roll.py):
files are written under temporary names, the roll is marked complete with one
atomic rename, the files are renamed into place, and only then is the offset
after the range committed to Kafka. Recovery on every partition assignment
finishes complete rolls and drops incomplete ones; so does a failed roll (a
DataNode killed under its upload), after which the partition is read again
from its landed offset without a restart (RawSink._redo).

Speed (docs/ingestion-benchmark.md): a roll's files stream to HDFS while its
records are consumed; finishing a roll (close, rename, commit) runs in worker
threads, one at a time per partition (ingestion/sink/inflight.py), while the
main thread keeps consuming into fresh buffers; the per-record check does not
build the JSON object (ingestion/sink/check.py).

When a partition rolls (roll_reason()): its buffer holds roll_bytes, or was
opened roll_seconds (R) ago, or the sink has caught up with the partition
and its oldest record was produced R ago. The last rule lands a backlog as soon
as it is read instead of R after reading began; in steady state it is R
counted from production instead of from consumption.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from ingestion import topics
from ingestion.sink import proc_cpu
from ingestion.sink.check import check_payload, is_plain_object
from ingestion.sink.inflight import InFlight
from ingestion.sink.roll import Landed, Layout, OpenRoll, RollStore, Segment, SinkError, file_name, parse_file_name
from lake.settings import KAFKA_SINK, RAW_ROOT, RAW_SINK_GROUP, REJECTED_ROOT, SINK_STATE_ROOT

__all__ = ["SinkConfig", "SinkError", "RawSink", "check_payload", "file_name", "parse_file_name", "ingest_slot",
           "roll_reason", "hive_partition_registrar", "main"]

log = logging.getLogger("raw-sink")

DEFAULT_GROUP = RAW_SINK_GROUP
# Even if producers' clocks lag (old timestamps), the caught-up rule rolls a partition at most this often...
CAUGHT_UP_MIN_SECONDS = 1.0
# ...unless its buffer holds at least this share of roll_bytes: the floor is there to stop a storm of
# tiny files, and a buffer this big is no tiny file. Without it a drained backlog waits for the floor.
CAUGHT_UP_FLOOR_EXEMPT_SHARE = 1 / 8
# A partition whose roll is still in flight may buffer this many roll sizes before consuming waits for it.
BACKPRESSURE_ROLLS = 2
# A failed roll of a partition (a DataNode killed under its upload) is redone this many times in a row, after
# 1, 2, 4, ... s (at most ROLL_RETRY_MAX_WAIT), before the sink gives up and exits; a restart redoes it then.
ROLL_RETRIES = 5
ROLL_RETRY_MAX_WAIT = 15.0
# Records taken from the consumer's queue per call at most (one Python list; one upload chunk per partition).
CONSUME_BATCH = 5000
# The consumer's fetching (bench-ingest gives the same sizes to every reader it compares; cases.yaml).
FETCH_SETTINGS = {
    "fetch.max.bytes": 64 * 1024 * 1024,
    "max.partition.fetch.bytes": 8 * 1024 * 1024,
    # librdkafka fetches only while its local queue holds less than this. The default, 64 MiB, is one
    # fetch.max.bytes: one fetch filled it, so the next was only sent once the sink had consumed
    # most of it, and the sink then waited for the broker's answer with nothing to do. Four fetches'
    # worth keeps a fetch in flight while the sink consumes: a 300,000-record drain went from
    # 63,000-78,000 to 94,000-105,000 records/s (docs/ingestion-benchmark.md). Memory: at most this
    # much of fetched records, and the sink's budget allows it (it buffers up to 2 rolls of 64 MiB too).
    "queued.max.messages.kbytes": 256 * 1024,
}


@dataclass
class SinkConfig:
    bootstrap: str
    webhdfs_url: str
    hdfs_user: str
    topic: str = topics.RAW
    group_id: str = DEFAULT_GROUP
    raw_root: str = RAW_ROOT
    rejected_root: str = REJECTED_ROOT
    state_root: str = SINK_STATE_ROOT
    roll_bytes: int = 64 * 1024 * 1024
    roll_seconds: float = 30.0
    status_file: str | None = None
    roll_workers: int = 4


@dataclass
class _Buffer:
    """What one Kafka partition has consumed since its last roll."""

    first: int | None = None
    last: int = -1
    opened: float = 0.0          # time.monotonic() at the first record
    oldest_ms: int = 0           # Kafka timestamp of the first record
    size: int = 0
    roll: OpenRoll | None = None   # where the records stream to (made with the first record)
    slot: tuple[str, str] | None = None   # the (ingest_date, ingest_hour) of the current segment
    seg: Segment | None = None            # the current segment: (date, hour, its first offset)
    # Payload lines consumed since the last hand-over to the roll's uploads (one chunk per consume batch)
    pending: dict[Segment, list[bytes]] = field(default_factory=dict)

    def flush(self) -> None:
        if self.pending:
            for seg, lines in self.pending.items():
                self.roll.add(seg, lines)
            self.pending = {}


def ingest_slot(timestamp_ms: int) -> tuple[str, str]:
    t = datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%d"), t.strftime("%H")


def roll_reason(buf: _Buffer, now: float, now_ms: int, roll_bytes: int, roll_seconds: float,
                caught_up: bool) -> str | None:
    """Why this buffer should roll now ("size", "age", "caught_up"), or None. now = time.monotonic()."""
    if buf.first is None:
        return None
    if buf.size >= roll_bytes:
        return "size"
    age = now - buf.opened
    if age >= roll_seconds:
        return "age"
    if caught_up and now_ms - buf.oldest_ms >= roll_seconds * 1000 and (
            age >= min(CAUGHT_UP_MIN_SECONDS, roll_seconds) or buf.size >= roll_bytes * CAUGHT_UP_FLOOR_EXEMPT_SHARE):
        return "caught_up"
    return None


def next_check_in(buf: _Buffer, now: float, now_ms: int, roll_bytes: int, roll_seconds: float,
                  caught_up: bool) -> float:
    """Seconds until roll_reason() could next say yes for this buffer on time alone (inf if empty)."""
    if buf.first is None:
        return float("inf")
    wait = buf.opened + roll_seconds - now
    if caught_up:
        by_timestamp = (buf.oldest_ms + roll_seconds * 1000 - now_ms) / 1000
        floor = 0.0 if buf.size >= roll_bytes * CAUGHT_UP_FLOOR_EXEMPT_SHARE else \
            buf.opened + min(CAUGHT_UP_MIN_SECONDS, roll_seconds) - now
        wait = min(wait, max(by_timestamp, floor))
    return wait


class RawSink:
    def __init__(self, cfg: SinkConfig, register_partition: Callable[[str, str], None] | None = None):
        from hdfs import InsecureClient

        self.cfg = cfg
        self.store = RollStore(Layout(cfg.topic, cfg.raw_root, cfg.rejected_root, cfg.state_root),
                               lambda: InsecureClient(cfg.webhdfs_url, user=cfg.hdfs_user, timeout=60))
        self.register_partition = register_partition
        self.buffers: dict[int, _Buffer] = {}
        self.inflight = InFlight(cfg.roll_workers)
        self.registered: set[tuple[str, str]] = set()
        self.pending_registration: set[tuple[str, str]] = set()
        self.stats = {"records": 0, "rejected": 0, "files": 0, "rolls": 0}
        self.landed: dict[int, int] = {}  # partition -> next offset to land
        self.roll_failures: dict[int, int] = {}  # partition -> its rolls that failed in a row
        self.failed = False
        self._consumer = None
        self._stop = threading.Event()
        self._slots: dict[int, tuple[str, str]] = {}  # hour since epoch -> (ingest_date, ingest_hour)
        # CPU counters at the first assignment: the final status says what consuming used (bench-ingest prints it).
        self._cpu_at_assign: dict | None = None

    # ---------------------------------------------------------------- recovery
    def recover(self, partition: int) -> int:
        """Finish the last rolls of a partition; returns the next offset to land (-1: none landed)."""
        return self.store.recover(partition)

    def _on_assign(self, consumer, partitions) -> None:
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        committed = {tp.partition: tp.offset for tp in
                     consumer.committed([TopicPartition(tp.topic, tp.partition) for tp in partitions], timeout=30)}
        # Partitions recover independently (each its own HDFS calls): at once, not one after another.
        numbers = [tp.partition for tp in partitions]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(numbers))), thread_name_prefix="recover") as pool:
            recovered = dict(zip(numbers, pool.map(self.recover, numbers)))
        for tp in partitions:
            landed_next = recovered[tp.partition]
            start = max(committed.get(tp.partition, -1), landed_next)
            tp.offset = start if start >= 0 else OFFSET_BEGINNING
            if landed_next >= 0 and landed_next > committed.get(tp.partition, -1):
                consumer.commit(offsets=[TopicPartition(tp.topic, tp.partition, landed_next)], asynchronous=False)
            self.landed[tp.partition] = max(start, 0)
            self._abandon(self.buffers.get(tp.partition))
            self.buffers[tp.partition] = _Buffer()
            log.info("partition %d: resuming at offset %s", tp.partition, start if start >= 0 else "beginning")
        consumer.assign(partitions)
        if self._cpu_at_assign is None:
            self._cpu_at_assign = proc_cpu.snapshot()

    def _on_revoke(self, consumer, partitions) -> None:
        # Rolls in flight finish and commit (the next owner's recovery must not race them);
        # uncommitted buffers are dropped: the next owner re-reads them from the committed offset.
        self._settle(self.inflight.wait([tp.partition for tp in partitions]))
        for tp in partitions:
            self._abandon(self.buffers.pop(tp.partition, None))
        consumer.unassign()

    # ---------------------------------------------------------------- consuming
    def _slot(self, ts: int) -> tuple[str, str]:
        hour = ts // 3_600_000
        slot = self._slots.get(hour)
        if slot is None:
            slot = self._slots[hour] = ingest_slot(ts)
        return slot

    def _take(self, msgs) -> None:
        """Buffer a batch of consumed messages (the hot loop: one Python step per record).

        Records come in runs of one partition and one hour, so the loop keeps the
        run's buffer and line list in locals and looks them up again only when the
        partition or the hour changes. A value that is_plain_object() accepts (ASCII,
        one line, a JSON object: nearly all) is appended as it is; any other value
        takes check_payload()'s full path, which lands it or names its reject reason.
        """
        buffers, now_ms, plain = self.buffers, int(time.time() * 1000), is_plain_object
        run_partition = run_hour = buf = lines = None
        for msg in msgs:
            if msg.error() is not None:
                log.warning("kafka: %s", msg.error())
                continue
            partition, offset = msg.partition(), msg.offset()
            ts = msg.timestamp()[1]
            if ts <= 0:
                ts = now_ms
            if partition != run_partition:
                run_partition, run_hour = partition, None
                buf = buffers.get(partition)
                if buf is None:
                    buf = buffers[partition] = _Buffer()
            if buf.first is None:
                buf.first, buf.opened, buf.oldest_ms = offset, time.monotonic(), ts
                buf.roll = OpenRoll(self.store, partition, offset)
            if ts // 3_600_000 != run_hour:
                run_hour = ts // 3_600_000
                slot = self._slot(ts)
                if buf.slot is None or slot > buf.slot:
                    # A new hour starts a new segment (file). A record stamped before the current
                    # hour (producers' clocks differ) stays in the current one: files hold
                    # consecutive offsets, so each can be named by its own range.
                    buf.slot, buf.seg = slot, (*slot, offset)
                lines = buf.pending.get(buf.seg)
                if lines is None:
                    lines = buf.pending[buf.seg] = []
            buf.last = offset
            value, reason = msg.value(), None
            if not plain(value):
                value, reason = check_payload(value)
            if reason is None:
                lines.append(value)
                buf.size += len(value) + 1
            else:
                line = self._reject_line(msg, reason, ts)
                buf.roll.reject(buf.seg, line)
                buf.size += len(line) + 1
        for buf in buffers.values():
            buf.flush()

    @staticmethod
    def _reject_line(msg, reason: str, ts: int) -> bytes:
        raw = msg.value() or b""
        return json.dumps({
            "reason": reason, "topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
            "timestamp": ts, "key": (msg.key() or b"").decode(errors="replace"),
            "headers": {k: (v or b"").decode(errors="replace") for k, v in (msg.headers() or [])},
            "payload": raw.decode("utf-8", errors="replace")}, ensure_ascii=False).encode()

    def _caught_up(self, partition: int, buf: _Buffer) -> bool:
        """Has the sink read everything the broker held at its last fetch of this partition?

        The high watermark comes from librdkafka's cache, filled by every fetch
        response: no request. End-of-partition events said the same thing, but
        only with the next (empty) fetch, which the broker holds for up to
        fetch.wait.max.ms (500 ms): half a second on every caught-up roll.
        """
        from confluent_kafka import TopicPartition

        _, high = self._consumer.get_watermark_offsets(TopicPartition(self.cfg.topic, partition), cached=True)
        return high >= 0 and buf.last + 1 >= high

    # ---------------------------------------------------------------- rolling
    def roll(self, partition: int, reason: str = "stop") -> None:
        """Start landing one partition's buffer in a worker thread; consuming goes on into a fresh buffer."""
        buf = self.buffers.get(partition)
        if not buf or buf.first is None:
            return
        if self.inflight.busy(partition):
            # One roll per partition at a time keeps its files and commits in offset order.
            self._settle(self.inflight.wait([partition]))
        buf.flush()
        buf.roll.reason = reason
        self.buffers[partition] = _Buffer()
        self.inflight.start(partition, self.store.land, buf.roll, buf.last)

    def _settle(self, finished: list[tuple[int, Landed | None, BaseException | None]]) -> None:
        """Commit the offsets of finished rolls (one Kafka call), then report the first failure."""
        from confluent_kafka import TopicPartition

        done = [landed for _, landed, err in finished if err is None]
        if done:
            self._consumer.commit(offsets=[TopicPartition(self.cfg.topic, d.partition, d.last + 1)
                                           for d in done], asynchronous=False)
        for d in done:
            self.landed[d.partition] = d.last + 1
            self.roll_failures.pop(d.partition, None)
            self.stats["rolls"] += 1
            self.stats["files"] += d.files
            self.stats["records"] += d.records
            self.stats["rejected"] += d.rejected
            self.pending_registration.update(d.slots)
            log.info("partition %d: rolled offsets %d..%d (%s; %d records, %d rejected, %d files) in %.3f s",
                     d.partition, d.first, d.last, d.reason, d.records, d.rejected, d.files, d.seconds)
        for partition, _, err in finished:
            if err is not None:
                self._redo(partition, err)

    def _redo(self, partition: int, err: BaseException) -> None:
        """Redo a failed roll from the partition's landed offset, as a restart's recovery would, without the
        restart (before, any failed roll ended the sink, and landing stopped until `make up` started it again).

        The roll's own files and those of the buffer that followed it are dropped (recovery deletes tmp/, or
        completes the roll if it got as far as its marker), and the consumer seeks back to the offset after
        the last landed roll: nothing is lost, and nothing lands twice. After ROLL_RETRIES failures in a row,
        or while stopping, the sink fails as before."""
        from confluent_kafka import TopicPartition

        tries = self.roll_failures[partition] = self.roll_failures.get(partition, 0) + 1
        if tries > ROLL_RETRIES or self._stop.is_set():
            self.failed = True
            raise SinkError(f"roll of partition {partition} failed (recovery redoes it on restart): {err}") from err
        self._abandon(self.buffers.get(partition))
        self.buffers[partition] = _Buffer()
        wait = min(ROLL_RETRY_MAX_WAIT, 2.0 ** (tries - 1))
        log.warning("partition %d: roll failed (%s: %s); redoing it from offset %d in %.0f s (try %d of %d)",
                    partition, type(err).__name__, err, self.landed.get(partition, 0), wait, tries, ROLL_RETRIES)
        time.sleep(wait)
        landed_next = self.store.recover(partition)
        start = max(self.landed.get(partition, 0), landed_next)
        if landed_next > self.landed.get(partition, 0):
            self._consumer.commit(offsets=[TopicPartition(self.cfg.topic, partition, landed_next)], asynchronous=False)
        self.landed[partition] = start
        self._consumer.seek(TopicPartition(self.cfg.topic, partition, start))

    def _roll_due(self) -> None:
        now, now_ms = time.monotonic(), int(time.time() * 1000)
        for partition, buf in list(self.buffers.items()):
            reason = roll_reason(buf, now, now_ms, self.cfg.roll_bytes, self.cfg.roll_seconds,
                                 self._caught_up(partition, buf))
            if reason is None:
                continue
            if self.inflight.busy(partition) and buf.size < BACKPRESSURE_ROLLS * self.cfg.roll_bytes:
                continue  # rolls when the one in flight has finished
            self.roll(partition, reason)

    def _poll_timeout(self) -> float:
        """How long consume() may wait: until the next time-driven roll, 0.5 s at most."""
        if len(self.inflight):
            return 0.05   # a finished roll's commit should not wait for a full poll
        now, now_ms = time.monotonic(), int(time.time() * 1000)
        soonest = min((next_check_in(buf, now, now_ms, self.cfg.roll_bytes, self.cfg.roll_seconds,
                                     self._caught_up(p, buf))
                       for p, buf in self.buffers.items()), default=float("inf"))
        return min(0.5, max(0.01, soonest))

    def _consume(self) -> list:
        # consume() returns when it has num_messages or its timeout has passed, whichever is first:
        # a blocking call for a full batch would hold a partition's last records (and its
        # caught-up check, which lets it roll) for the whole poll timeout. So take what is
        # queued without waiting, and only when nothing is, wait for the first record to arrive.
        msgs = self._consumer.consume(num_messages=CONSUME_BATCH, timeout=0)
        return msgs or self._consumer.consume(num_messages=1, timeout=self._poll_timeout())

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

        status = {"state": state, "heartbeat": time.time(), "topic": self.cfg.topic, "landed": self.landed,
                  **self.stats}
        if state == "stopped" and self._cpu_at_assign:
            status["cpu_since_assigned"] = proc_cpu.since(self._cpu_at_assign, proc_cpu.snapshot())
        tmp = f"{self.cfg.status_file}.tmp"
        with open(tmp, "w") as fh:
            json.dump(status, fh)
        os.replace(tmp, self.cfg.status_file)

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        from confluent_kafka import Consumer

        from lake.runtime import clients

        who = clients.kafka_principal(KAFKA_SINK, self.cfg.topic)
        self._consumer = Consumer(clients.kafka_config(self.cfg.bootstrap, principal=who, **{
            "group.id": self.cfg.group_id,
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest", **FETCH_SETTINGS,
        }))
        self._consumer.subscribe([self.cfg.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        last_status = 0.0
        try:
            while not self._stop.is_set():
                self._take(self._consume())
                self._settle(self.inflight.finished())
                self._roll_due()
                if self.pending_registration:
                    self._register_pending()
                now = time.monotonic()
                if now - last_status >= 2:
                    # "running" only once partitions are assigned and recovered: that is what readiness means.
                    self._write_status("running" if self.landed else "starting")
                    last_status = now
        finally:
            self._shut_down()

    @staticmethod
    def _abandon(buf: _Buffer | None) -> None:
        # Waits for the uploads to end, so no stray upload of this process outlives the partition's ownership.
        if buf is not None and buf.roll is not None:
            buf.roll.abandon()

    def _shut_down(self) -> None:
        """A clean stop lands what it holds; after a failed roll, or a kill -9, recovery does it instead."""
        try:
            self._settle(self.inflight.wait())
            if not self.failed:
                for partition in list(self.buffers):
                    self.roll(partition)
                self._settle(self.inflight.wait())
        except Exception as e:  # noqa: BLE001
            log.error("final rolls failed (recovery will redo them): %s", e)
        for buf in self.buffers.values():
            self._abandon(buf)
        self.inflight.shutdown()
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
    ap.add_argument("--raw-root", default=RAW_ROOT)
    ap.add_argument("--rejected-root", default=REJECTED_ROOT)
    ap.add_argument("--state-root", default=SINK_STATE_ROOT)
    ap.add_argument("--roll-seconds", type=float, default=30.0)
    ap.add_argument("--roll-mb", type=float, default=64.0)
    ap.add_argument("--roll-workers", type=int, default=4, help="rolls of different partitions landing at once")
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
                     status_file=args.status_file, roll_workers=max(1, args.roll_workers))
    registrar = None if args.no_register else hive_partition_registrar(s.host, s.ports["thrift"], s.user, args.table)
    sink = RawSink(cfg, registrar)
    signal.signal(signal.SIGTERM, lambda *_: sink.stop())
    signal.signal(signal.SIGINT, lambda *_: sink.stop())
    log.info("raw sink: %s -> %s (roll %.0fs / %.0f MiB, %d roll workers)", cfg.topic, cfg.raw_root,
             cfg.roll_seconds, args.roll_mb, cfg.roll_workers)
    sink.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
