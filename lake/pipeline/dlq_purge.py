"""Removing records from a Kafka topic that cannot delete one record: tweets.dlq for `make comply`.

Kafka deletes only whole prefixes of a partition (DeleteRecords moves its log start offset). So, per
partition holding a record `names` matches:
  1. read the partition from its log start to the end seen now;
  2. produce every other record again at the end (same partition, key, value, headers and timestamp,
     plus a header naming the offset it is a copy of), acknowledged by every replica;
  3. DeleteRecords up to the old end: the old records, the matched ones among them, are no longer
     readable; the copies are the partition's records from now on, in their old order.
A run cut between 2 and 3 leaves the originals and some copies; the rerun reads both, keeps one
record per origin (the header) and does 2-3 again, so nothing is lost or duplicated.
Bytes: a record past the log start offset is unreadable at once, but its bytes stay in its log segment
until the segment is closed (segment.ms / segment.bytes of the topic) and the broker's retention check
(log.retention.check.interval.ms, 5 min) deletes closed segments wholly below the start offset.
"""
from __future__ import annotations

import time
from typing import Callable

from lake.errors import LakeError
from lake.runtime import clients
from lake.settings import Settings

ORIGIN_HEADER = "lake_comply_origin"


def _read(cons, topic: str, partition: int, lo: int, hi: int) -> list:
    from confluent_kafka import TopicPartition

    cons.assign([TopicPartition(topic, partition, lo)])
    out, deadline = [], time.monotonic() + 120
    while not out or out[-1].offset() + 1 < hi:
        if time.monotonic() > deadline:
            raise LakeError(f"comply: Kafka did not deliver {topic} partition {partition} up to offset {hi} "
                            "in 120 s; see `make status` and the Kafka log")
        msg = cons.poll(1.0)
        if msg is None:
            continue
        if msg.error() is not None:
            raise LakeError(f"comply: reading {topic}: {msg.error()}")
        if msg.partition() == partition and lo <= msg.offset() < hi:
            out.append(msg)
    cons.unassign()
    return out


def survivors(records: list, gone: set[int]) -> list[tuple]:
    """(message, headers to produce it with) of each record of one partition to keep: not in `gone`
    (offsets), one per origin (a record copied by an earlier, interrupted run and its copy are one
    record), each carrying the origin header (its first offset)."""
    kept, seen = [], set()
    for m in records:
        headers = [(k, v) for k, v in (m.headers() or []) if k != ORIGIN_HEADER]
        origin = dict(m.headers() or []).get(ORIGIN_HEADER) or f"{m.partition()}:{m.offset()}".encode()
        if m.offset() in gone or origin in seen:
            continue
        seen.add(origin)
        kept.append((m, headers + [(ORIGIN_HEADER, origin)]))
    return kept


def purge(s: Settings, topic: str, names: Callable[[bytes], bool], dry_run: bool = False) -> dict[int, int]:
    """partition -> records removed (module doc); `names(key + value)` says whether a record goes.
    dry_run: only count them (the verification after applying). A missing topic holds nothing."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient

    cons = Consumer(clients.kafka_config(s, **{"group.id": "lake-comply-dlq-scan", "enable.auto.commit": False,
                                               "auto.offset.reset": "earliest"}))
    removed: dict[int, int] = {}
    try:
        meta = cons.list_topics(topic, timeout=30).topics.get(topic)
        if meta is None or meta.error is not None:
            return removed
        for p in sorted(meta.partitions):
            lo, hi = cons.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            if lo >= hi:
                continue
            records = _read(cons, topic, p, lo, hi)
            gone = [m for m in records if names((m.key() or b"") + b"\n" + (m.value() or b""))]
            if not gone:
                continue
            removed[p] = len(gone)
            if dry_run:
                continue
            kept = survivors(records, {m.offset() for m in gone})
            prod = Producer(clients.kafka_config(s, **{"enable.idempotence": True, "acks": "all"}))
            failed = []
            for m, headers in kept:
                ts_type, ts = m.timestamp()
                prod.produce(topic, value=m.value(), key=m.key(), partition=p, headers=headers,
                             timestamp=ts if ts_type != 0 and ts > 0 else 0,
                             on_delivery=lambda err, _msg: failed.append(err) if err else None)
                prod.poll(0)
            if prod.flush(60) != 0 or failed:
                raise LakeError(f"comply: could not copy the {len(kept)} surviving record(s) of {topic} partition "
                                f"{p} ({failed[:1] or 'flush timed out'}); nothing deleted, rerun `make comply`")
            admin = AdminClient(clients.kafka_config(s))
            for fut in admin.delete_records([TopicPartition(topic, p, hi)], request_timeout=30).values():
                fut.result(60)
    finally:
        cons.close()
    return removed
