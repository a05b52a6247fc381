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
