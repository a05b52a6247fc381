"""Sends what a source yields to Kafka: Records to tweets.raw, Rejected to tweets.dlq.

Every message carries headers source, format and ingest_time (and origin);
the producer is idempotent with acks=all, so a retry after a lost ack never
writes a tweet twice. `produced` counts only what the broker acknowledged.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ingestion import topics
from ingestion.records import Record, Rejected
from lake.settings import KAFKA_PRODUCER

PRODUCER_CONFIG = {
    "enable.idempotence": True,
    "acks": "all",
    "compression.type": "zstd",
    "linger.ms": 20,
    "batch.size": 1_000_000,
    "message.max.bytes": topics.MAX_MESSAGE_BYTES,
    "queue.buffering.max.messages": 200_000,
}


@dataclass
class ProduceStats:
    read: int = 0
    produced: int = 0          # acknowledged by the broker on tweets.raw
    rejected: int = 0          # acknowledged on tweets.dlq
    by_reason: Counter = field(default_factory=Counter)
    failed: int = 0            # not acknowledged (broker down past retries): reported, never silent
    bytes: int = 0
    seconds: float = 0.0

    @property
    def reconciles(self) -> bool:
        return self.read == self.produced + self.rejected + self.failed

    def as_dict(self) -> dict:
        return {"read": self.read, "produced": self.produced, "rejected": self.rejected,
                "rejected_by_reason": dict(self.by_reason), "failed": self.failed, "bytes": self.bytes,
                "seconds": round(self.seconds, 3),
                "tweets_per_second": round(self.produced / self.seconds, 1) if self.seconds else None}


def _headers(source: str, fmt: str, origin: str) -> list[tuple[str, bytes]]:
    return [("source", source.encode()), ("format", fmt.encode()),
            ("ingest_time", str(int(time.time() * 1000)).encode()), ("origin", origin.encode())]


@dataclass(frozen=True, slots=True)
class Message:
    """What one item becomes on Kafka; `reason` is None for tweets.raw, the reject code for tweets.dlq."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    reason: str | None


def message(item: Record | Rejected, source: str, raw_topic: str, dlq_topic: str) -> Message:
    """The one place an item gets its topic, key and headers (the batch producer and the MQTT bridge)."""
    if isinstance(item, Record):
        return Message(raw_topic, item.key.encode(), item.payload, _headers(source, item.format, item.origin), None)
    headers = _headers(source, "unknown", item.origin) + [
        ("reason", item.reason.encode()), ("message", item.message[:1000].encode()),
        ("raw_size", str(item.raw_size).encode())]
    return Message(dlq_topic, None, item.raw, headers, item.reason)


def send(p, m: Message, on_delivery) -> None:
    """Produce one message, waiting for the local queue when it is full."""
    while True:
        try:
            p.produce(m.topic, value=m.value, key=m.key, headers=m.headers, on_delivery=on_delivery)
            return
        except BufferError:  # local queue full: let deliveries drain, then retry
            p.poll(0.5)


def produce(items: Iterable[Record | Rejected], bootstrap: str, source: str, prefix: str = "",
            progress=None, flush_timeout: float = 120, topic: str | None = None,
            principal: str | None = None) -> ProduceStats:
    """Send every item; returns the counts. `progress` (a tqdm bar or None) is advanced per item.
    Records go to <prefix>tweets.raw, or to <prefix><topic> when given (compliance events). Kafka sees
    the producer principal on the lake's own topics (`principal` names another: the MQTT bridge, comply)."""
    from confluent_kafka import Producer

    raw_topic, dlq_topic = topics.names(prefix)
    if topic is not None:
        raw_topic = prefix + topic
    stats = ProduceStats()
    from lake.runtime import clients

    # librdkafka retries an unacknowledged record until message.timeout.ms (its default: 300 s).
    window = PRODUCER_CONFIG.get("message.timeout.ms", 300_000) / 1000
    who = principal or clients.kafka_principal(KAFKA_PRODUCER, raw_topic)
    p = Producer(clients.kafka_config(bootstrap, window=window, principal=who, **PRODUCER_CONFIG))

    def on_delivery(err, msg, reason=None):
        if err is not None:
            stats.failed += 1
        elif reason is None:
            stats.produced += 1
        else:
            stats.rejected += 1
            stats.by_reason[reason] += 1

    t0 = time.monotonic()
    for item in items:
        stats.read += 1
        m = message(item, source, raw_topic, dlq_topic)
        if m.reason is None:
            cb = on_delivery
        else:
            cb = (lambda reason: (lambda err, msg: on_delivery(err, msg, reason)))(m.reason)
        stats.bytes += len(m.value)
        send(p, m, cb)
        p.poll(0)
        if progress is not None:
            progress.update(1)
    remaining = p.flush(flush_timeout)
    stats.failed += remaining
    stats.seconds = time.monotonic() - t0
    return stats

