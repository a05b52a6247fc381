"""The speed layer's side of compliance events (issue #22, within one trigger): tweets.compliance records ->
rows of <speed>.compliance_pending, the table's DDL, the stream's topic and filter, and the serving view."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from lake.settings import SPEED_PENDING_TABLE
from spark.jobs import compliance_pending as cp
from spark.jobs import stream_speed
from spark.transforms import pii

ROOT = stream_speed.REPO
KEY = pii.Pii("unit-test-key-0123456789abcdef")
AT = datetime(2026, 12, 7, 9, 30, 5, 250000, tzinfo=timezone.utc)
COLS = cp.PENDING_SCHEMA.fieldNames()


def row(event: dict | bytes, eid: str = "tweets.compliance:0:7") -> dict | None:
    value = event if isinstance(event, bytes) else json.dumps(event).encode()
    out = cp.pending_row(eid, value, KEY, AT)
    return None if out is None else dict(zip(COLS, out))


def test_a_v2_tweet_delete_names_the_tweet_and_keeps_no_author():
    got = row({"data": {"delete": {"tweet": {"id": "1796000000000000001", "author_id": "424242"},
                                   "event_at": "2026-12-07T06:00:00.000Z"}}})
    assert got == {"event_id": "tweets.compliance:0:7", "kind": "delete", "tweet_id": 1796000000000000001,
                   "author_key": None, "event_at": datetime(2026, 12, 7, 6, tzinfo=timezone.utc),
                   "received_at": AT, "received_date": "2026-12-07"}
    assert "424242" not in repr(got)  # the author id of a tweet delete goes nowhere


def test_a_v1_deletion_notice_is_a_tweet_delete():
    got = row({"delete": {"status": {"id_str": "77", "user_id_str": "5"}, "timestamp_ms": "1796623200000"}})
    assert (got["kind"], got["tweet_id"], got["author_key"]) == ("delete", 77, None)
    assert got["event_at"] == datetime.fromtimestamp(1796623200, timezone.utc)


@pytest.mark.parametrize("kind", ["user_delete", "user_protect", "user_suspend"])
def test_user_removals_name_the_author_key_bronze_computes_never_the_user_id(kind):
    got = row({"data": {kind: {"user": {"id": "987654321"}, "event_at": "2026-12-07T06:00:00Z"}}})
    assert (got["kind"], got["tweet_id"]) == (kind, None)
    assert got["author_key"] == KEY.user_key("987654321") and got["author_key"].startswith("u_")
    assert "987654321" not in repr(got)


@pytest.mark.parametrize("event", [
    {"data": {"scrub_geo": {"user": {"id": "5"}, "up_to_tweet_id": "9", "event_at": "2026-12-07T06:00:00Z"}}},
    {"scrub_geo": {"user_id_str": "5", "up_to_status_id_str": "9"}},
    {"data": {"user_undelete": {"user": {"id": "5"}, "event_at": "2026-12-07T06:00:00Z"}}},
    {"data": {"user_unprotect": {"user": {"id": "5"}}}},
    {"data": {"user_unsuspend": {"user": {"id": "5"}}}},
], ids=["scrub_geo v2", "scrub_geo v1", "undelete", "unprotect", "unsuspend"])
def test_kinds_that_remove_no_row_are_not_pending(event):
    assert row(event) is None


@pytest.mark.parametrize("value", [
    b"not json {", b"", b"[1, 2]", b'{"data": {"tweet_edit": {"id": "1"}}}',
    b'{"data": {"delete": {"tweet": {"author_id": "5"}}}}', b'{"data": {"user_delete": {"user": {"id": 5.5}}}}',
    b'{"data": {"delete": {"tweet": {"id": "01"}}}}',
], ids=["invalid json", "empty", "array", "unknown kind", "missing id", "bad id type", "bad id"])
def test_bad_events_are_skipped_comply_routes_them_to_the_dlq(value):
    assert row(value) is None
    assert cp.pending_row("t:0:1", None, KEY, AT) is None


def test_an_event_without_a_readable_time_is_still_pending():
    got = row({"data": {"delete": {"tweet": {"id": "5"}, "event_at": "yesterday"}}})
    assert (got["tweet_id"], got["event_at"]) == (5, None)


def test_event_ids_are_the_ledgers():
    assert cp.event_id("it.x.tweets.compliance", 0, 12) == "it.x.tweets.compliance:0:12"


def test_pending_accumulates_ids_and_keys():
    p = cp.Pending()
    p.add([("a", "delete", 5, None), ("b", "user_delete", None, "u_k")])
    p.add([])
    p.add([("c", "delete", 5, None), ("a", "delete", 5, None)])  # "a" again: a replayed micro-batch
    assert (p.ids, p.keys, p.events) == ({5}, {"u_k"}, 3)


def test_the_pending_table_ddl_matches_the_schema_and_settings():
    path = ROOT / "hive" / "ddl" / "speed" / f"{SPEED_PENDING_TABLE}.sql"
    text = path.read_text()
    body = text.split("CREATE TABLE", 1)[1].split("(", 1)[1].split("\n)", 1)[0]
    cols = [m.group(1) for m in re.finditer(r"^\s+(\w+)\s+[A-Z]", body, re.M)]
    assert cols + [cp.PARTITION] == COLS
    assert f"${{SPEED_DB}}.{SPEED_PENDING_TABLE} (" in text
    assert f"PARTITIONED BY ({cp.PARTITION} STRING" in text


def test_the_stream_reads_the_compliance_topic_beside_its_own():
    assert stream_speed.default_compliance_topic("tweets.raw") == "tweets.compliance"
    assert stream_speed.default_compliance_topic("it.ab12.tweets.raw") == "it.ab12.tweets.compliance"
    assert stream_speed.default_compliance_topic("bench.other") == ""
    args = stream_speed.parse_args(["--checkpoint", "hdfs:///c", "--topic", "it.x.tweets.raw"])
    assert args.compliance_topic == "it.x.tweets.compliance"
    assert stream_speed.parse_args(["--checkpoint", "c", "--compliance-topic", ""]).compliance_topic == ""


def test_rejects_lose_a_pending_tweets_id():
    i = stream_speed.REJ_TWEET_ID
    rej = tuple("x" if n != i else "5" for n in range(i + 2))
    out = stream_speed.rejects_without_removed([rej], frozenset() | cp.Pending().ids | {5})
    assert out[0][i] is None and out[0][:i] == rej[:i]


def test_serving_view_hides_pending_tweets_and_authors_in_both_branches():
    """Both layers' rows lose the pending ones first: silver's in the `batch` step, speed's in `uncovered`
    before the newest version of each edit chain is picked (a removed version never hides an older one)."""
    sql = (ROOT / "hive/ddl/serving/tweets.sql").read_text()
    assert f"FROM hive.${{SPEED_DB}}.{SPEED_PENDING_TABLE}" in sql
    steps = {m.group(1): m.group(2) for m in re.finditer(r"(?ms)^(\w+) AS \((.*?)^\)", sql)}
    for step, alias in (("batch", "t"), ("uncovered", "s")):
        assert f"NOT EXISTS (SELECT 1 FROM pending p WHERE p.tweet_id = {alias}.tweet_id)" in steps[step]
        assert f"NOT EXISTS (SELECT 1 FROM pending p WHERE p.author_key = {alias}.author_key)" in steps[step]
    assert "row_number()" in steps["uncovered"]  # in the same step: the window ranks only the rows kept
    batch, speed = sql.split("UNION ALL")
    assert "FROM batch t" in batch and "FROM uncovered u" in speed
