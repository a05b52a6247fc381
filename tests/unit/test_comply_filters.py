"""Issue #22's filters without services: which ledger the speed layer reads, what it does to rejects
of removed tweets, and which reject-zone lines and DLQ records `make comply` finds naming a removed
tweet or user."""
from __future__ import annotations

import json

from lake.pipeline import comply
from spark.jobs import stream_speed
from spark.transforms import parse, pii
from spark.transforms.schema import REJECTED_SCHEMA

KEY = pii.Pii("unit-test-key-0123456789abcdef")


def test_the_speed_layer_reads_the_ledger_of_its_own_schemas():
    assert stream_speed.default_ledger("speed") == "ops.compliance_events"
    assert stream_speed.default_ledger("it_ab12_speed") == "it_ab12_ops.compliance_events"
    assert stream_speed.parse_args(["--checkpoint", "c", "--speed-db", "it_x_speed"]).ledger == "it_x_ops.compliance_events"
    assert stream_speed.parse_args(["--checkpoint", "c", "--ledger", ""]).ledger == ""  # none: no filtering


def test_speed_rejects_of_a_removed_tweet_lose_its_id_and_stay_counted():
    cols = REJECTED_SCHEMA.fieldNames()

    def reject(tid, offset):
        bad = parse.Bad(parse.MISSING_CREATED_AT, "x")
        bad.tweet_id = tid
        row = parse.reject_row(bad.reject(), b"{}", {
            "ingest_date": "2026-01-02", "ingest_hour": "13", "source_file": "kafka:t", "kafka_partition": 0,
            "kafka_offset": offset})
        return tuple(row[c] for c in cols)

    rows = [reject("111", 1), reject("222", 2), reject(None, 3)]
    out = stream_speed.rejects_without_removed(rows, frozenset({111}))
    assert [dict(zip(cols, r))["tweet_id"] for r in out] == [None, "222", None]
    assert [dict(zip(cols, r))["kafka_offset"] for r in out] == [1, 2, 3]
    assert stream_speed.rejects_without_removed(rows, frozenset()) == rows


def test_naming_finds_removed_tweet_ids_and_user_ids_in_records_that_never_parsed():
    names = comply.Naming({1790000000000000001}, {KEY.user_key("987654321012")}, KEY)
    sink_line = json.dumps({"reason": "invalid_json", "offset": 7,
                            "payload": '{"id_str": "1790000000000000001", "text": "trunc'}).encode()
    assert names(sink_line)
    assert names(b'{"id": 5, "user": {"id_str": "987654321012"}')     # bad_id_type, the removed user's
    assert names(b'{"id": 5, "author_id": 987654321012}')
    assert not names(b'{"id_str": "17900000000000000012"}')            # a longer number is another id
    assert not names(b'{"id_str": "790000000000000001"}')
    assert not names(b'{"id": 5, "user": {"id_str": "123456789098"}')
    assert not names(parse.REDACTED_LINE) and not names(b"")
    assert not comply.Naming(set(), set(), KEY)(sink_line)


class _Msg:
    """What dlq_purge reads of a confluent_kafka Message."""

    def __init__(self, offset: int, value: bytes, headers=None, partition: int = 0):
        self._o, self._v, self._h, self._p = offset, value, headers, partition

    def offset(self):
        return self._o

    def value(self):
        return self._v

    def headers(self):
        return self._h

    def partition(self):
        return self._p


def test_dlq_survivors_carry_their_origin_and_a_rerun_after_a_cut_copies_each_once():
    from lake.pipeline import dlq_purge

    first = [_Msg(0, b"a", [("reason", b"x")]), _Msg(1, b"gone"), _Msg(2, b"c")]
    kept = dlq_purge.survivors(first, {1})
    assert [(m.value(), h) for m, h in kept] == [(b"a", [("reason", b"x"), (dlq_purge.ORIGIN_HEADER, b"0:0")]),
                                                  (b"c", [(dlq_purge.ORIGIN_HEADER, b"0:2")])]
    # cut after copying, before DeleteRecords: originals 0-2 and the copies at 3-4 are all readable
    log = first + [_Msg(3 + i, m.value(), h) for i, (m, h) in enumerate(kept)]
    again = dlq_purge.survivors(log, {1})
    assert [(m.value(), dict(h)[dlq_purge.ORIGIN_HEADER]) for m, h in again] == [(b"a", b"0:0"), (b"c", b"0:2")]
    assert [m.offset() for m, _ in again] == [0, 2]  # the originals, in order; their copies are dropped
