"""make comply's pure parts (lake/pipeline/comply.py): ledger rows, per-event counts, SQL lists."""
from __future__ import annotations

from datetime import datetime

from ingestion.sources import compliance as c
from lake.pipeline import comply
from spark.transforms import parse, pii

KEY = "unit-test-key-comply-0123456789"


def test_a_user_event_is_recorded_by_author_key_never_by_user_id():
    p = pii.Pii(KEY)
    ev = c.parse({"data": {"user_suspend": {"user": {"id": "2244994945"}, "event_at": "2026-12-01T10:00:00.5Z"}}})
    row = comply.ledger_row("tweets.compliance:0:7", ev, p, datetime(2026, 12, 7, 1, 2, 3, 456000))
    assert "2244994945" not in row and f"'{p.user_key('2244994945')}'" in row
    assert "TIMESTAMP '2026-12-01 10:00:00.500'" in row and "TIMESTAMP '2026-12-07 01:02:03.456'" in row
    assert row.endswith("DATE '2026-12-07')")


def test_a_tweet_delete_keeps_the_tweet_id_and_drops_its_author():
    ev = c.parse({"delete": {"status": {"id_str": "42", "user_id_str": "99"}, "timestamp_ms": "1700000000000"}})
    row = comply.ledger_row("t:0:1", ev, pii.Pii(KEY), datetime(2026, 1, 1))
    assert "BIGINT '42'" in row and "99" not in row and "'v1'" in row


def test_sql_lists_match_nothing_when_empty_and_quote_strings():
    assert comply._in_list([], comply._str) == "NULL"
    assert comply._in_list(["b", "a'", "b"], comply._str) == "'a''', 'b'"


def test_rows_count_for_the_events_that_name_them():
    pending = [("e1", "delete", 10, None, None, "2026-01-01"), ("e2", "user_delete", None, "u_a", None, "2026-01-01"),
               ("e3", "delete", 11, None, None, "2026-01-01"), ("e4", "scrub_geo", None, "u_b", 11, "2026-01-01")]
    found = {"bronze": [(10, "u_b", 1), (12, "u_a", 1), (13, "u_a", 1)],
             "rejected": [(11, None, 1), (14, None, 2)],
             "gold": [(12, "u_a", 1), (None, "u_a", 2)]}  # dim_authors versions are not fact rows
    raw = comply.RawRewrite()
    raw.by_tweet.update({10: 2, 11: 1})
    raw.by_key.update({"u_a": 3})
    raw.authors.update({14: "u_a"})
    raw.scrubbed.update({"u_b": 4})
    geo = {"bronze": [(10, "u_b", 1), (12, "u_b", 1)], "silver": [(10, "u_b", 1)]}  # 12 is past the event's id
    got = comply.per_event(pending, found, raw, geo)
    assert got["e4"] == {"bronze": 1, "silver": 1, "raw": 4}
    assert got["e1"] == {"bronze": 1, "rejected": 0, "gold": 0, "raw": 2}
    assert got["e2"] == {"bronze": 2, "rejected": 2, "gold": 1, "raw": 3}
    assert got["e3"] == {"bronze": 0, "rejected": 1, "gold": 0, "raw": 1}


def test_the_redaction_line_is_a_reject_of_its_own_reason():
    row, rej = parse.to_bronze(parse.REDACTED_LINE, {"ingest_date": "2026-01-01"}, pii.Pii(KEY))
    assert row is None and rej.reason == parse.REDACTED and rej.tweet_id is None


def test_scrub_geo_takes_the_place_and_point_off_v1_and_v2_payloads_and_nothing_else(shared_data):
    p = pii.Pii(KEY)
    meta = {"ingest_date": "2026-01-01"}
    lines = (shared_data / "tweets" / "v1-streaming" / "original_format_examples.json").read_bytes().splitlines()
    from ingestion.records import Record
    from ingestion.sources.replay import replay

    lines += [r.payload for r in replay([shared_data / "tweets" / "v2-twarc" / "test-data" / "geo_tweets.jsonl"])
              if isinstance(r, Record)]
    with_place = 0
    for line in filter(None, lines):
        before, _ = parse.to_bronze(line, meta, p)
        new = comply.scrub_geo_line(line)
        if before is None or new is None:
            assert new is None or before is None
            continue
        after, rej = parse.to_bronze(new, meta, p)
        assert rej is None
        geo = ("place_id", "place_name", "place_full_name", "place_type", "country", "country_name", "place_bbox",
               "geo_lat", "geo_lon")
        with_place += before["place_id"] is not None
        assert all(after[c] is None for c in geo)
        assert {k: v for k, v in after.items() if k not in geo} == {k: v for k, v in before.items() if k not in geo}
        assert comply.scrub_geo_line(new) is None  # idempotent
    assert with_place >= 10


def test_speed_rows_lose_the_location_a_scrub_covers_and_keep_the_rest():
    import pyarrow as pa

    t = pa.table({"tweet_id": pa.array([5, 9, 5, 4], pa.int64()), "author_key": ["u_a", "u_a", "u_b", "u_a"],
                  "place_id": ["p1", "p2", "p3", None], "geo_lat": [1.0, 2.0, 3.0, None], "text": ["x", "y", "z", "w"],
                  "country": ["ES", "PT", "FR", "BR"], "country_source": ["place", "place", "place", "user_location"]})
    out = comply._without_geo(t, {"u_a": 6})
    assert out.column("place_id").to_pylist() == [None, "p2", "p3", None]
    assert out.column("country").to_pylist() == [None, "PT", "FR", "BR"]  # a profile's country is no tweet location
    assert out.column("geo_lat").to_pylist() == [None, 2.0, 3.0, None]
    assert out.column("text").to_pylist() == ["x", "y", "z", "w"] and out.schema == t.schema
