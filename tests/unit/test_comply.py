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
    pending = [("e1", "delete", 10, None, "2026-01-01"), ("e2", "user_delete", None, "u_a", "2026-01-01"),
               ("e3", "delete", 11, None, "2026-01-01")]
    found = {"bronze": [(10, "u_b", 1), (12, "u_a", 1), (13, "u_a", 1)],
             "rejected": [(11, None, 1), (14, None, 2)],
             "gold": [(12, "u_a", 1), (None, "u_a", 2)]}  # dim_authors versions are not fact rows
    raw = comply.RawRewrite()
    raw.by_tweet.update({10: 2, 11: 1})
    raw.by_key.update({"u_a": 3})
    raw.authors.update({14: "u_a"})
    got = comply.per_event(pending, found, raw)
    assert got["e1"] == {"bronze": 1, "rejected": 0, "gold": 0, "raw": 2}
    assert got["e2"] == {"bronze": 2, "rejected": 2, "gold": 1, "raw": 3}
    assert got["e3"] == {"bronze": 0, "rejected": 1, "gold": 0, "raw": 1}


def test_the_redaction_line_is_a_reject_of_its_own_reason():
    row, rej = parse.to_bronze(parse.REDACTED_LINE, {"ingest_date": "2026-01-01"}, pii.Pii(KEY))
    assert row is None and rej.reason == parse.REDACTED and rej.tweet_id is None
