"""Parity: the columnar transforms (spark/transforms/columnar.py) give the per-row path's rows,
column for column, on the shared v1.1/v2 payloads (broken ones included), CJK and long notes,
and a seeded synthetic month."""
from __future__ import annotations

import math

import pyarrow as pa
import pytest

from ingestion.sources import synthetic
from spark.transforms import columnar, parse, pii, silver
from spark.transforms.schema import BRONZE_SCHEMA, REJECTED_SCHEMA, SILVER_SCHEMA
from tests.shared_tweets import parse_corpus

KEY = "unit-test-key-columnar-0123456789"


def meta(i: int) -> dict:
    return {"ingest_date": "2024-01-02", "ingest_hour": "07", "source_file": "tweets.raw+0+0+9.jsonl",
            "kafka_partition": 0, "kafka_offset": i}


@pytest.fixture(scope="module")
def p() -> pii.Pii:
    return pii.Pii(KEY)


@pytest.fixture(scope="module")
def payloads(shared_data) -> list[bytes]:
    return parse_corpus(shared_data)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def per_row(payloads, p):
    rows, rejects = [], []
    for i, line in enumerate(payloads):
        row, rej = parse.to_bronze(line, meta(i), p)
        if rej is None:
            rows.append(row)
        else:
            rejects.append(parse.reject_row(rej, line, meta(i)))
    return rows, rejects


def test_the_shared_data_has_what_the_parity_needs(payloads, p):
    rows, rejects = per_row(payloads, p)
    langs = {r["lang"] for r in rows}
    assert {"ja", "en", "pt", "es"} <= langs, langs
    assert len(rejects) >= 10 and {r["reason"] for r in rejects} >= {"invalid_json", "not_a_tweet"}
    assert any(len(r["text"] or "") > 280 for r in rows), "a long note_tweet"


def test_bronze_batch_equals_to_bronze_row_by_row(payloads, p):
    rows, rejects = per_row(payloads, p)
    bronze, rejected = columnar.bronze_batch(payloads, [meta(i) for i in range(len(payloads))], p)
    assert bronze.schema == columnar.arrow_schema("BRONZE_SCHEMA")
    assert rejected.schema == columnar.arrow_schema("REJECTED_SCHEMA")
    got = bronze.to_pylist()
    assert len(got) == len(rows)
    for want, have in zip(rows, got):
        for c in BRONZE_SCHEMA.fieldNames():
            w = want[c]
            assert same(w, have[c]), (c, want["tweet_id"], w, have[c])
    assert rejected.to_pylist() == [{c: r[c] for c in REJECTED_SCHEMA.fieldNames()} for r in rejects]


def test_silver_batch_equals_enrich_row_by_row(payloads, p):
    rows, _ = per_row(payloads, p)
    bronze, _ = columnar.bronze_batch(payloads, [meta(i) for i in range(len(payloads))], p)
    out = columnar.silver_batch(bronze)
    assert out.schema == columnar.arrow_schema("SILVER_SCHEMA")
    have = out.to_pylist()
    assert len(have) == len(rows)
    mismatches = []
    for row, h in zip(rows, have):
        want = silver.enrich(row)
        for c in SILVER_SCHEMA.fieldNames():
            w = want[c]
            if not same(w, h[c]):
                mismatches.append((c, row["tweet_id"], w, h[c]))
    assert not mismatches, mismatches[:10]


def test_silver_batch_of_nothing_and_of_nulls():
    empty = pa.Table.from_pylist([], schema=columnar.arrow_schema("BRONZE_SCHEMA"))
    assert columnar.silver_batch(empty).num_rows == 0
    row = {f: None for f in BRONZE_SCHEMA.fieldNames()}
    row.update(tweet_id=1, tweet_type="reply", quoted_tweet_id=5, author_key="u_x", source_format="v2",
               ingest_date="2024-01-01", ingest_hour="00", source_file="f")
    import datetime as dt
    row.update(created_at=dt.datetime(2024, 1, 1), created_date=dt.date(2024, 1, 1))
    out = columnar.silver_batch(pa.Table.from_pylist([row], schema=columnar.arrow_schema("BRONZE_SCHEMA")))
    got = out.to_pylist()[0]
    assert got["is_reply"] and got["is_quote"] and not got["is_retweet"]
    assert got["engagement"] == 0 and got["author_tier"] is None and got["hashtags"] == []
    assert got["mention_count"] == 0 and got["sentiment_label"] == "neutral"


@pytest.mark.parametrize("followers,tier", [(0, "nano"), (999, "nano"), (1_000, "micro"), (99_999, "mid"),
                                            (100_000, "macro"), (999_999, "macro"), (1_000_000, "mega")])
def test_tiers_match_follower_tier(followers, tier):
    assert silver.follower_tier(followers) == tier
    assert columnar._tiers(pa.chunked_array([[followers, None]])).to_pylist() == [tier, None]


def test_bronze_arrow_numbers_each_files_lines_across_batches(p):
    """Line i of <topic>+<p>+<first>+<last>.jsonl is offset first + i, however the task's lines are batched."""
    a = "hdfs://x/lake/raw/tweets/ingest_date=2024-01-02/ingest_hour=07/tweets.raw+0+100+102.jsonl"
    b = "hdfs://x/lake/raw/tweets/ingest_date=2024-01-02/ingest_hour=08/tweets.raw+1+7+7.jsonl"
    good = [r.payload.decode() for r in synthetic.generate(3, seed=3)]
    schema = pa.schema([("path", pa.string()), ("value", pa.string())])
    batches = [pa.RecordBatch.from_pylist([{"path": a, "value": good[0]}, {"path": a, "value": "{not json"}],
                                          schema=schema),
               pa.RecordBatch.from_pylist([{"path": a, "value": good[1]}, {"path": b, "value": good[2]}],
                                          schema=schema)]
    out = pa.Table.from_batches(list(columnar.bronze_arrow(p)(iter(batches))))
    got = sorted((r["b"] or r["r"])["kafka_offset"] for r in out.to_pylist())
    assert got == [7, 100, 101, 102]
    rows = {r["b"]["kafka_offset"]: r["b"] for r in out.to_pylist() if r["b"]}
    assert rows[7]["kafka_partition"] == 1 and rows[7]["ingest_hour"] == "08" and rows[102]["ingest_hour"] == "07"
    [rej] = [r["r"] for r in out.to_pylist() if r["r"]]
    assert rej["kafka_offset"] == 101 and rej["reason"] == parse.INVALID_JSON


def test_silver_batch_spellings_follow_the_hashtags(payloads, p):
    bronze, _ = columnar.bronze_batch(payloads, [meta(i) for i in range(len(payloads))], p)
    plain = columnar.silver_batch(bronze)
    out = columnar.silver_batch(bronze, spellings=True)
    assert out.schema.names == plain.schema.names + ["hashtag_spellings"]
    assert out.drop(["hashtag_spellings"]).equals(plain)  # the silver columns do not change
    from spark.enrich.textnorm import hashtag_key

    pairs = [(k, s) for keys, shown in zip(out.column("hashtags").to_pylist(), out.column("hashtag_spellings").to_pylist())
             for k, s in zip(keys, shown, strict=True)]
    assert len(pairs) > 100
    assert all(hashtag_key(s) == k for k, s in pairs)
    assert sum(s != k for k, s in pairs) > 10  # real spellings (case, accents), not just the keys back
