"""The compliance event parser (ingestion/sources/compliance.py): X's v2 stream lines and v1.1 notices."""
from __future__ import annotations

import gzip
import json

import pytest

from ingestion import records as r
from ingestion.records import Record, Rejected
from ingestion.sources import compliance as c
from ingestion.sources.replay import SourceError

AT = "2026-12-01T10:00:00.000Z"


def v2(kind: str, body: dict) -> dict:
    return {"data": {kind: {**body, "event_at": AT}}}


@pytest.mark.parametrize("kind", [c.USER_DELETE, c.USER_PROTECT, c.USER_SUSPEND, c.USER_UNDELETE,
                                  c.USER_UNPROTECT, c.USER_UNSUSPEND])
def test_v2_user_events_are_keyed_by_the_user(kind):
    ev = c.parse(v2(kind, {"user": {"id": "2244994945"}}))
    assert (ev.kind, ev.user_id, ev.tweet_id, ev.event_at, ev.key) == (kind, "2244994945", None, AT, "2244994945")
    assert ev.acting == (kind in (c.USER_DELETE, c.USER_PROTECT, c.USER_SUSPEND))


def test_v2_tweet_delete_keeps_its_author_and_is_keyed_by_the_tweet():
    ev = c.parse(v2("delete", {"tweet": {"id": "1170025343920402432", "author_id": "1482680858"}}))
    assert (ev.kind, ev.tweet_id, ev.user_id, ev.key, ev.format) == \
        ("delete", "1170025343920402432", "1482680858", "1170025343920402432", "v2")
    assert ev.acting


def test_v2_scrub_geo_has_its_upper_bound_and_is_recorded_only():
    ev = c.parse(v2("scrub_geo", {"user": {"id": "12"}, "up_to_tweet_id": "1500000000000000000"}))
    assert (ev.kind, ev.user_id, ev.up_to_tweet_id, ev.acting) == ("scrub_geo", "12", "1500000000000000000", False)


def test_v1_status_deletion_notice():
    ev = c.parse({"delete": {"status": {"id": 1170147183095664640, "id_str": "1170147183095664640",
                                        "user_id": 12, "user_id_str": "12"}, "timestamp_ms": "1700000000000"}})
    assert (ev.kind, ev.tweet_id, ev.user_id, ev.format) == ("delete", "1170147183095664640", "12", "v1")
    assert ev.event_at == "2023-11-14T22:13:20.000Z"


def test_v1_scrub_geo():
    ev = c.parse({"scrub_geo": {"user_id": 14090452, "user_id_str": "14090452",
                                "up_to_status_id": 23260136625, "up_to_status_id_str": "23260136625"}})
    assert (ev.kind, ev.user_id, ev.up_to_tweet_id, ev.format) == ("scrub_geo", "14090452", "23260136625", "v1")


@pytest.mark.parametrize("obj, reason", [
    ({"data": {"tweet_edit": {"tweet": {"id": "1"}}}}, r.UNKNOWN_EVENT),
    ({"status_withheld": {"id_str": "1"}}, r.UNKNOWN_EVENT),
    ({"data": {"delete": {}, "user_delete": {}}}, r.UNKNOWN_EVENT),
    ([1, 2], r.UNKNOWN_EVENT),
    ({"data": {"delete": {"tweet": {"author_id": "2"}, "event_at": AT}}}, r.MISSING_ID),
    ({"data": {"user_delete": {"user": {}, "event_at": AT}}}, r.MISSING_ID),
    ({"delete": {"status": {"user_id_str": "2"}}}, r.MISSING_ID),
    ({"data": {"scrub_geo": {"user": {"id": "2"}}}}, r.MISSING_ID),
    ({"data": {"delete": {"tweet": {"id": "12ab"}}}}, r.BAD_ID),
    ({"data": {"delete": {"tweet": {"id": "99999999999999999999"}}}}, r.BAD_ID),
    ({"data": {"delete": {"tweet": {"id": 1.5}}}}, r.BAD_ID_TYPE),
])
def test_bad_events_have_a_reason_and_one_line(obj, reason):
    with pytest.raises(c.BadEvent) as e:
        c.parse(obj)
    assert e.value.reason == reason and e.value.reason in r.REASONS
    assert "\n" not in e.value.message and e.value.message


def test_lines_become_records_for_the_topic_or_rejects_for_the_dlq(tmp_path):
    good = json.dumps(v2("user_suspend", {"user": {"id": "77"}})).encode()
    v1 = b'{"delete":{"status":{"id_str":"5","user_id_str":"6"},"timestamp_ms":"1700000000000"}}'
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join([good, b"{broken", b'{"data":{"drop":{}}}', v1]) + b"\n"))
    items = list(c.events([str(path)]))
    assert [type(i) for i in items] == [Record, Rejected, Rejected, Record]
    assert (items[0].key, items[0].payload, items[3].key, items[3].format) == ("77", good, "5", "v1")
    assert [i.reason for i in items if isinstance(i, Rejected)] == [r.INVALID_JSON, r.UNKNOWN_EVENT]


def test_a_missing_file_fails_before_anything_is_produced(tmp_path):
    with pytest.raises(SourceError):
        c.events([str(tmp_path / "nope.jsonl")])


@pytest.mark.parametrize("fmt", ["v2", "v1"])
def test_a_firehose_sample_deletes_about_its_share_of_tweets_the_same_way_each_run(fmt):
    from ingestion.sources import synthetic

    runs = []
    for _ in range(2):
        sample = c.DeleteSample(0.02, seed=3)
        passed = list(sample.watch(synthetic.generate(5000, seed=9, days=2, fmt=fmt)))
        runs.append(sample.events())
    assert len(passed) == 5000 and runs[0] == runs[1]
    assert 50 <= len(runs[0]) <= 150  # about 2% of 5000
    events = [c.parse_bytes(line) for line in runs[0]]
    assert {e.kind for e in events} == {"delete"} and {e.format for e in events} == {fmt}
    ids = {r.key for r in passed}
    assert all(e.tweet_id in ids and e.user_id for e in events)
    assert len(list(c.DeleteSample(0.0).watch(passed))) == 5000
