"""v2_flat: the typed fast path gives parse.extract's row exactly, or steps aside (None) so that
extract runs; it never gives another row, and it takes every flat v2 tweet the firehose makes."""
from __future__ import annotations

import msgspec
import pytest

from ingestion.sources import synthetic
from spark.transforms import columnar, parse, v2_flat
from spark.transforms import pii as pii_mod
from tests.shared_tweets import parse_corpus


@pytest.fixture(scope="module")
def corpus(shared_data) -> list[bytes]:
    return parse_corpus(shared_data)


def _extract(line):
    try:
        return parse.extract(line)
    except parse.Bad as e:
        return e.reject()


def _flat_v2(line, answer) -> bool:
    """extract read it as a tweet, and it is a flat v2 one (no v2 message envelope)."""
    if isinstance(answer, parse.Reject) or answer["source_format"] != parse.V2:
        return False
    return "data" not in msgspec.json.decode(line)


def test_every_row_it_gives_is_extracts_row_and_it_takes_every_flat_v2_tweet(corpus):
    fast = flat = 0
    for line in corpus:
        answer, row = _extract(line), v2_flat.row(line)
        if row is not None:
            fast += 1
            assert row == answer, line[:300]
        flat += _flat_v2(line, answer)
    # the shared v2-twarc files and the synthetic month: every one of them, not just most
    assert fast == flat and flat > 1000, (fast, flat)


def test_it_takes_every_kind_of_tweet_the_firehose_makes():
    lines = [r.payload for r in synthetic.generate(3000, seed=3, days=30)]
    rows = [v2_flat.row(x) for x in lines]
    assert all(r is not None for r in rows)
    kinds = {r["tweet_type"] for r in rows}
    assert kinds == {"original", "reply", "retweet", "quote"}, kinds
    assert any(r["place_id"] for r in rows) and any(r["mentions"] for r in rows)
    for line, r in zip(lines, rows):
        assert r == parse.extract(line)


@pytest.mark.parametrize("change", [
    {"public_metrics": "many"},                     # another JSON type: extract says which reject
    {"id": 5},                                      # a numeric id
    {"id": "0123"},                                 # not a decimal id
    {"created_at": "yesterday"},
    {"user": {"id_str": "1"}},                      # a v1.1 marker: not this shape
    {"includes": {"users": []}},                    # a v2 message's part
    {"geo": {"place_id": "p", "full_name": "X", "geo": {"bbox": [1, 2, 3]}}},
    {"geo": {"coordinates": {"coordinates": [1, True]}}},
    {"entities": {"mentions": [{"username": "a", "id": 7}]}},
    {"edit_history_tweet_ids": ["x"]},
    {"referenced_tweets": [{"type": "retweeted", "id": "12", "text": "t", "author_id": 3}]},
])
def test_what_it_cannot_read_as_extract_does_it_leaves_to_extract(change):
    good = msgspec.json.decode(next(synthetic.generate(1, seed=5)).payload)
    bad = msgspec.json.encode({**good, **change})
    assert v2_flat.row(bad) is None
    # and extract still answers for it, row or reject, as before
    assert _extract(bad) is not None


def test_presence_is_kept_where_extract_asks_for_it():
    # a place registered from `geo` only when full_name or country_code is present (even null)
    base = msgspec.json.decode(next(synthetic.generate(1, seed=5)).payload)
    for geo in ({"place_id": "p1", "full_name": None, "name": "N"}, {"place_id": "p1", "name": "N"},
                {"place_id": "p1", "id": None, "country_code": "br"}, {"place_id": "p1"}):
        line = msgspec.json.encode({**base, "geo": geo})
        assert v2_flat.row(line) == parse.extract(line), geo


def test_bronze_batch_gives_the_same_table_with_the_fast_path(corpus, monkeypatch):
    pii = pii_mod.Pii(key=b"k" * 32)
    metas = [{"ingest_date": "2024-01-01", "ingest_hour": "00", "source_file": "f", "kafka_partition": 0,
              "kafka_offset": i} for i in range(len(corpus))]
    with_fast = columnar.bronze_batch(corpus, metas, pii)
    monkeypatch.setattr(v2_flat, "row", lambda line: None)
    without = columnar.bronze_batch(corpus, metas, pii)
    assert with_fast[0].equals(without[0]) and with_fast[1].equals(without[1])
