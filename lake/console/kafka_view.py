"""What the topic browser shows, read from Kafka without writing to it: topics, partitions with their
replicas and earliest/latest offsets, consumer groups with their lag per partition, and the last
messages of a partition. The consumer it reads with is assigned partitions (it never joins a group)
and never commits, so browsing leaves no trace in Kafka."""
from __future__ import annotations

import json
from dataclasses import dataclass

from lake.errors import LakeError
from lake.runtime import clients
from lake.settings import KAFKA_BROWSER, TOPIC_BROWSER_GROUP

TIMEOUT_S = 10.0
MAX_MESSAGES = 200
VALUE_CHARS = 4000  # a value longer than this is cut, and says so


class NotFound(LakeError):
    """An unknown topic, partition or consumer group: the page answers 404 with this message."""


class BadRequest(LakeError):
    """A request the browser cannot answer as asked (an offset out of range, a bad count): 400."""


@dataclass(frozen=True)
class Browser:
    bootstrap: str

    def _admin(self):
        from confluent_kafka.admin import AdminClient

        return AdminClient(clients.kafka_config(self.bootstrap, principal=KAFKA_BROWSER))

    def _consumer(self):
        from confluent_kafka import Consumer

        # group.id is only a label here: the consumer is assigned partitions and never commits.
        return Consumer(clients.kafka_config(self.bootstrap, principal=KAFKA_BROWSER, **{
            "group.id": TOPIC_BROWSER_GROUP, "enable.auto.commit": False, "enable.auto.offset.store": False,
            "enable.partition.eof": True, "auto.offset.reset": "earliest"}))

    def _metadata(self, topic: str | None = None):
        try:
            return self._admin().list_topics(topic=topic, timeout=TIMEOUT_S)
        except Exception as e:  # noqa: BLE001 - librdkafka's KafkaException: Kafka unreachable
            raise LakeError(f"Kafka at {self.bootstrap} did not answer: {e}") from None

    def topics(self) -> list[dict]:
        md = self._metadata()
        return [{"name": name, "partitions": len(t.partitions),
                 "replicas": max((len(p.replicas) for p in t.partitions.values()), default=0),
                 "internal": name.startswith("__")}
                for name, t in sorted(md.topics.items())]

    def _topic_meta(self, topic: str):
        md = self._metadata()
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            raise NotFound(f"no topic named {topic!r} in Kafka at {self.bootstrap}")
        return t

    def offsets(self, topic: str, partitions: list[int]) -> dict[int, tuple[int, int]]:
        from confluent_kafka import TopicPartition

        c = self._consumer()
        try:
            return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S, cached=False)
                    for p in partitions}
        finally:
            c.close()

    def topic(self, topic: str) -> dict:
        t = self._topic_meta(topic)
        ids = sorted(t.partitions)
        offs = self.offsets(topic, ids)
        parts = [{"partition": p, "leader": t.partitions[p].leader, "replicas": list(t.partitions[p].replicas),
                  "isr": list(t.partitions[p].isrs), "earliest": offs[p][0], "latest": offs[p][1],
                  "messages": offs[p][1] - offs[p][0]} for p in ids]
        groups = [g for g in self.groups() if topic in {row["topic"] for row in g["lag"]}]
        for g in groups:
            g["lag"] = [row for row in g["lag"] if row["topic"] == topic]
        return {"name": topic, "partitions": parts, "groups": groups}

    def groups(self) -> list[dict]:
        """Every consumer group with its committed offset and lag per partition."""
        from confluent_kafka import ConsumerGroupTopicPartitions

        admin = self._admin()
        try:
            listed = admin.list_consumer_groups(request_timeout=TIMEOUT_S).result()
        except Exception as e:  # noqa: BLE001
            raise LakeError(f"Kafka at {self.bootstrap} did not list its consumer groups: {e}") from None
        out = []
        for g in sorted(listed.valid, key=lambda g: g.group_id):
            fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(g.group_id)],
                                                    request_timeout=TIMEOUT_S)[g.group_id]
            committed = [tp for tp in fut.result().topic_partitions if tp.offset >= 0]
            ends: dict[tuple[str, int], int] = {}
            for topic in {tp.topic for tp in committed}:
                for p, (_, hi) in self.offsets(topic, [tp.partition for tp in committed if tp.topic == topic]).items():
                    ends[(topic, p)] = hi
            lag = [{"topic": tp.topic, "partition": tp.partition, "committed": tp.offset,
                    "latest": ends[(tp.topic, tp.partition)], "lag": max(ends[(tp.topic, tp.partition)] - tp.offset, 0)}
                   for tp in sorted(committed, key=lambda tp: (tp.topic, tp.partition))]
            out.append({"group": g.group_id, "state": str(getattr(g.state, "name", g.state)),
                        "lag": lag, "total_lag": sum(row["lag"] for row in lag)})
        return out

    def messages(self, topic: str, partition: int, count: int = 20, offset: int | None = None) -> dict:
        """The last `count` messages of a partition, or `count` messages from `offset` on."""
        from confluent_kafka import KafkaError, TopicPartition

        if not 1 <= count <= MAX_MESSAGES:
            raise BadRequest(f"count must be between 1 and {MAX_MESSAGES}, not {count}")
        t = self._topic_meta(topic)
        if partition not in t.partitions:
            raise NotFound(f"topic {topic!r} has no partition {partition} (partitions: 0..{len(t.partitions) - 1})")
        earliest, latest = self.offsets(topic, [partition])[partition]
        if offset is None:
            start = max(earliest, latest - count)
        elif not earliest <= offset < latest:
            held = f"messages there are at offsets {earliest}..{latest - 1}" if latest > earliest else "it is empty"
            raise BadRequest(f"offset {offset} is out of range for {topic}[{partition}]: {held}")
        else:
            start = offset
        stop = min(start + count, latest)
        rows = []
        if start < stop:
            c = self._consumer()
            try:
                c.assign([TopicPartition(topic, partition, start)])
                while len(rows) < stop - start:
                    msg = c.poll(TIMEOUT_S)
                    if msg is None:
                        break
                    if msg.error():
                        if msg.error().code() == KafkaError._PARTITION_EOF:
                            break
                        raise LakeError(f"reading {topic}[{partition}] failed: {msg.error()}")
                    if msg.offset() >= stop:
                        break
                    rows.append(_row(msg))
            finally:
                c.close()
        return {"topic": topic, "partition": partition, "earliest": earliest, "latest": latest,
                "start": start, "messages": rows}


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    return raw.decode("utf-8", errors="replace")


def pretty(raw: bytes | None) -> tuple[str | None, bool]:
    """A value as readable text (JSON indented), cut at VALUE_CHARS; returns (text, truncated)."""
    text = _text(raw)
    if text is None:
        return None, False
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    return (text[:VALUE_CHARS], True) if len(text) > VALUE_CHARS else (text, False)


def _row(msg) -> dict:
    value, truncated = pretty(msg.value())
    ts_type, ts = msg.timestamp()
    return {"offset": msg.offset(), "timestamp_ms": ts if ts_type else None, "key": _text(msg.key()),
            "headers": [(k, _text(v)) for k, v in (msg.headers() or [])], "value": value,
            "value_bytes": len(msg.value() or b""), "truncated": truncated}
