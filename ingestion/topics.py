"""The Kafka topics the lake owns, created with explicit settings.

The broker has auto.create.topics.enable=false, so a typo fails instead of
creating a stray topic with default settings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lake.settings import TOPIC_COMPLIANCE as COMPLIANCE
from lake.settings import TOPIC_DLQ as DLQ
from lake.settings import TOPIC_RAW as RAW

# One tweet is a few KiB; replay rejects anything over 1 MiB before Kafka sees it.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


SPECS = {
    # Several partitions so the sink and the speed layer can read in parallel;
    # keyed by tweet id, so one tweet's versions stay in order on one partition.
    RAW: TopicSpec(4, {"retention.ms": str(7 * 24 * 3600 * 1000), "compression.type": "zstd",
                       "cleanup.policy": "delete", "max.message.bytes": str(MAX_MESSAGE_BYTES),
                       "min.insync.replicas": "1"}),
    # Rejects are kept longer: someone has to look at them.
    DLQ: TopicSpec(1, {"retention.ms": str(30 * 24 * 3600 * 1000), "compression.type": "zstd",
                       "cleanup.policy": "delete", "max.message.bytes": str(MAX_MESSAGE_BYTES)}),
    # One partition: a user's protect and unprotect are applied in the order X sent them. Kept 30 days;
    # the durable record is the ledger ops.compliance_events (`make comply` commits after writing it).
    COMPLIANCE: TopicSpec(1, {"retention.ms": str(30 * 24 * 3600 * 1000), "compression.type": "zstd",
                              "cleanup.policy": "delete", "max.message.bytes": str(MAX_MESSAGE_BYTES)}),
}


def raw_replication(brokers: int) -> tuple[int, int]:
    """tweets.raw's (replication factor, min.insync.replicas) on a cluster of `brokers` brokers (docs/scale-out.md).
    Three brokers: three replicas of which acks=all producers need two, so one broker can be down (killed,
    restarted) without stalling ingest or losing an acknowledged record. Fewer: a replica per broker and one in
    sync suffices (two brokers with min.insync 2 would stall ingest whenever either is down)."""
    rf = min(3, max(brokers, 1))
    return rf, 2 if rf >= 3 else 1


def assignment(current: dict[int, list[int]], brokers: list[int], rf: int) -> dict[int, list[int]]:
    """Each partition's replicas grown to `rf` (never shrunk): its current replicas first, so its preferred leader
    stays, then brokers in turn from a start that moves with the partition, spreading the new followers."""
    ids = sorted(brokers)
    out = {}
    for p, replicas in sorted(current.items()):
        want = list(replicas)
        for i in range(len(ids)):
            if len(want) >= rf:
                break
            b = ids[(p + i) % len(ids)]
            if b not in want:
                want.append(b)
        out[p] = want
    return out


def names(prefix: str = "") -> tuple[str, str]:
    """(raw, dlq) topic names; tests use a prefix to get their own pair."""
    return prefix + RAW, prefix + DLQ


def ensure(bootstrap: str, prefix: str = "", timeout: float = 30, which: tuple[str, ...] | None = None) -> list[str]:
    """Create the topics if missing; returns the ones created. Idempotent. The lake's own (no prefix) gets
    every topic; a prefixed sandbox gets raw and DLQ unless it asks for more (`which`), so sandboxes that
    never use compliance events leave no extra topic behind."""
    from confluent_kafka.admin import AdminClient, NewTopic

    from lake.runtime import clients

    which = which or (tuple(SPECS) if not prefix else (RAW, DLQ))
    admin = AdminClient(clients.kafka_config(bootstrap))
    existing = set(admin.list_topics(timeout=timeout).topics)
    wanted = {prefix + name: SPECS[name] for name in which}
    new = [NewTopic(name, num_partitions=spec.partitions, replication_factor=1, config=spec.config)
           for name, spec in wanted.items() if name not in existing]
    if new:
        for fut in admin.create_topics(new).values():
            fut.result(timeout)
    return [t.topic for t in new]


def delete(bootstrap: str, prefix: str, timeout: float = 30) -> None:
    from confluent_kafka.admin import AdminClient

    from lake.runtime import clients

    admin = AdminClient(clients.kafka_config(bootstrap))
    existing = set(admin.list_topics(timeout=timeout).topics)
    for fut in admin.delete_topics([prefix + n for n in SPECS if prefix + n in existing] or list(names(prefix))).values():
        try:
            fut.result(timeout)
        except Exception:  # noqa: BLE001 - already gone
            pass
