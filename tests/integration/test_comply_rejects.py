"""`make comply` on what never became a tweet (issue #22): the raw sink's reject zone and tweets.dlq.

A sandbox (HDFS dir /tmp/it-<tag>, schemas it_<tag>_*, topics it.<tag>.*) holds reject-zone files in the
sink's format (one JSON line per rejected Kafka record, the payload inside) and DLQ records, some naming
a tweet or a user that compliance events then remove, the others not. After lake.pipeline.comply.run:
no line or record names them (a record naming a scrub_geo event's user goes whole: a broken payload
cannot lose only its place); every other line is byte for byte where it was (same files, same line
counts) and every other DLQ record is still there, in order, with its key, headers and timestamp.
A purge cut after copying the survivors and before deleting the old records is finished by a rerun,
without duplicates.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from ingestion import producer, topics
from ingestion.sources import compliance
from lake.errors import LakeError
from lake.pipeline import comply, dlq_purge
from lake.pipeline.layers import Databases
from lake.runtime import clients, hdfs_client
from lake.settings import TOPIC_COMPLIANCE, TOPIC_DLQ
from spark.transforms import parse

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

T_GONE, T_KEPT = "1790000000000000001", "1790000000000000002"
U_GONE, U_KEPT = "987654321012", "123456789098"
U_SCRUB = "555444333222"  # a scrub_geo event's user: a reject naming them cannot lose only a place, so it goes


def reject_line(reason: str, offset: int, payload: str) -> bytes:
    """A line of the sink's reject zone (ingestion/sink/raw_sink.py _reject_line)."""
    return json.dumps({"reason": reason, "topic": "tweets.raw", "partition": 0, "offset": offset,
                       "timestamp": 1796600000000, "key": "", "headers": {}, "payload": payload}).encode()


# (payload, names a removed tweet or user?)
PAYLOADS = [
    ('{"id_str": "' + T_GONE + '", "text": "truncated', True),            # invalid JSON naming the tweet
    ('{"id_str": "' + T_KEPT + '", "text": "truncated', False),
    ('{"id": "5", "text": "x", "user": {"id_str": "' + U_GONE + '"', True),  # the removed user's
    ('{"id": "6", "text": "x", "user": {"id_str": "' + U_KEPT + '"', False),
    ('{"id": "7", "text": "x", "place": {"id": "p"}, "user": {"id_str": "' + U_SCRUB + '"', True),
    ("not json at all", False),
]


def read_topic(s, topic: str) -> list[tuple]:
    """(offset, key, value, headers, timestamp) of every readable record, from the log start."""
    from confluent_kafka import Consumer, TopicPartition

    cons = Consumer(clients.kafka_config(s, **{"group.id": "it-read", "enable.auto.commit": False}))
    try:
        lo, hi = cons.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)
        return [(m.offset(), m.key(), m.value(), m.headers(), m.timestamp()[1])
                for m in (dlq_purge._read(cons, topic, 0, lo, hi) if lo < hi else [])]
    finally:
        cons.close()


def without_origin(headers) -> list:
    return [(k, v) for k, v in (headers or []) if k != dlq_purge.ORIGIN_HEADER]


@dataclass
class Sandbox:
    tag: str
    dbs: Databases
    base: str
    rejected_root: str
    prefix: str
    files: dict[str, list[bytes]]
    dlq_before: list[tuple]
    report: comply.Report


@pytest.fixture(scope="module")
def applied(lake, tmp_path_factory):
    from confluent_kafka import Producer

    tag = uuid.uuid4().hex[:10]
    box = Sandbox(tag, Databases(f"it_{tag}_"), f"/tmp/it-{tag}", f"/tmp/it-{tag}/raw/_rejected/tweets",
                  f"it.{tag}.", {}, [], comply.Report())
    c = hdfs_client.client(lake)
    try:
        for n, day in enumerate(("2026-03-01", "2026-03-02")):
            lines = [reject_line("invalid_json", 10 * n + i, p) for i, (p, _) in enumerate(PAYLOADS)]
            path = f"{box.rejected_root}/ingest_date={day}/tweets.raw+0+{10 * n}+{10 * n + 9}.jsonl"
            c.write(path, data=b"\n".join(lines) + b"\n", overwrite=True)
            box.files[path] = lines
        topics.ensure(lake.kafka_bootstrap, prefix=box.prefix, which=(topics.DLQ, topics.COMPLIANCE))
        dlq = box.prefix + TOPIC_DLQ
        prod = Producer(clients.kafka_config(lake, **{"enable.idempotence": True, "acks": "all"}))
        for i, (p, _) in enumerate(PAYLOADS * 2):
            prod.produce(dlq, value=p.encode(), key=None if i % 2 else f"k{i}".encode(), partition=0,
                         headers=[("reason", b"invalid_json"), ("source", b"test")], timestamp=1796600000000 + i)
        assert prod.flush(30) == 0
        box.dlq_before = read_topic(lake, dlq)
        assert len(box.dlq_before) == 2 * len(PAYLOADS)

        at = "2026-03-05T12:00:00.000Z"
        events = [{"data": {"delete": {"tweet": {"id": T_GONE}, "event_at": at}}},
                  {"data": {"user_delete": {"user": {"id": U_GONE}, "event_at": at}}},
                  {"data": {"scrub_geo": {"user": {"id": U_SCRUB}, "up_to_tweet_id": "9", "event_at": at}}}]
        path = tmp_path_factory.mktemp("comply-rejects") / "events.jsonl"
        path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        sent = producer.produce(compliance.events([path]), lake.kafka_bootstrap, source="compliance",
                                prefix=box.prefix, topic=TOPIC_COMPLIANCE)
        assert sent.produced == 3
        box.report = comply.run(lake, dbs=box.dbs, topic=box.prefix + TOPIC_COMPLIANCE, group=f"it-{tag}-comply",
                                raw_root=f"{box.base}/raw/tweets", rejected_root=box.rejected_root, dlq_topic=dlq)
        yield box
    finally:
        c.delete(box.base, recursive=True)
        try:
            clients.hive(lake, f"DROP DATABASE IF EXISTS {box.dbs.ops} CASCADE")
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass
        topics.delete(lake.kafka_bootstrap, box.prefix)
        try:
            from confluent_kafka.admin import AdminClient

            admin = AdminClient(clients.kafka_config(lake.kafka_bootstrap))
            for fut in admin.delete_consumer_groups([f"it-{tag}-comply"], request_timeout=30).values():
                fut.result(30)
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass


def test_reject_zone_lines_naming_a_removed_tweet_or_user_are_redacted_in_place(applied, lake):
    c = hdfs_client.client(lake)
    assert applied.report.rejected_zone_files_rewritten == 2
    assert applied.report.removed["raw reject zone"] == 2 * sum(gone for _, gone in PAYLOADS) == 6
    for path, before in applied.files.items():
        with c.read(path) as fh:
            now = fh.read().split(b"\n")[:-1]
        assert len(now) == len(before), path
        for (_, gone), old, new in zip(PAYLOADS, before, now):
            assert new == (parse.REDACTED_LINE if gone else old)
            assert T_GONE.encode() not in new and U_GONE.encode() not in new and U_SCRUB.encode() not in new
    walked = [n for _, _, files in c.walk(applied.rejected_root) for n in files]
    assert sorted(walked) == sorted(p.rsplit("/", 1)[1] for p in applied.files)  # no hidden file left


def test_dlq_keeps_only_the_other_records_in_order(applied, lake):
    dlq = applied.prefix + TOPIC_DLQ
    after = read_topic(lake, dlq)
    kept = [r for r in applied.dlq_before if not any(x.encode() in r[2] for x in (T_GONE, U_GONE, U_SCRUB))]
    assert applied.report.removed["dlq"] == len(applied.dlq_before) - len(kept) == 6
    assert [(k, v, without_origin(h), ts) for _, k, v, h, ts in after] == \
        [(k, v, without_origin(h), ts) for _, k, v, h, ts in kept]
    assert after[0][0] == applied.dlq_before[-1][0] + 1  # the log now starts after the old records


def test_the_events_are_applied_and_a_rerun_has_nothing_to_do(applied, lake):
    rows = clients.trino(lake, f"SELECT kind, applied_at IS NOT NULL FROM hive.{applied.dbs.ops}.compliance_events")
    assert sorted(rows) == [("delete", True), ("scrub_geo", True), ("user_delete", True)]
    rep = comply.run(lake, dbs=applied.dbs, topic=applied.prefix + TOPIC_COMPLIANCE,
                     group=f"it-{applied.tag}-comply", raw_root=f"{applied.base}/raw/tweets",
                     rejected_root=applied.rejected_root, dlq_topic=applied.prefix + TOPIC_DLQ)
    assert (rep.consumed, rep.applied) == (0, 0)


def test_a_purge_cut_before_deleting_is_finished_by_a_rerun_without_duplicates(applied, lake, monkeypatch):
    from confluent_kafka.admin import AdminClient

    dlq = applied.prefix + TOPIC_DLQ
    before = read_topic(lake, dlq)
    names = comply.Naming({int(T_KEPT)}, set(), None)

    def cut(*a, **k):
        raise LakeError("cut before DeleteRecords")

    monkeypatch.setattr(AdminClient, "delete_records", cut)
    with pytest.raises(LakeError):
        dlq_purge.purge(lake, dlq, names)
    monkeypatch.undo()
    assert len(read_topic(lake, dlq)) > len(before)  # originals and copies, as after a crash
    assert dlq_purge.purge(lake, dlq, names) == {0: 2}  # the originals naming T_KEPT (never copied)
    after = read_topic(lake, dlq)
    want = [(k, v, without_origin(h), ts) for _, k, v, h, ts in before if T_KEPT.encode() not in v]
    assert [(k, v, without_origin(h), ts) for _, k, v, h, ts in after] == want
