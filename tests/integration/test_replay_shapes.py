"""Export shapes through the real stack: a pretty-printed v1.1 search response and an X account
archive's tweets.js land every tweet in raw once, and their texts reach bronze intact.

Isolation is test_ingest.py's (its `box` and `sink` fixtures: own topics, HDFS roots, consumer group,
raw schema and sink process); bronze goes to a database of its own, dropped afterwards.
"""
from __future__ import annotations

import json

import pytest

from ingestion import producer
from ingestion.sources.replay import ReplayStats, replay
from lake.pipeline import ddl
from lake.runtime import clients, spark
from spark.transforms import pii
from tests.integration.test_ingest import assert_exactly_once, box, sink, wait_landed  # noqa: F401 (fixtures)
from tests.unit.test_ingestion_replay_shapes import ACCOUNT_JS, TEXTS, archive_tweet, pretty, tweets_js, v1

KEY = "integration-test-key-0123456789"


def test_search_response_and_archive_land_once_and_reach_bronze_intact(lake, box, sink, tmp_path):  # noqa: F811
    search = tmp_path / "search.json"
    search.write_bytes(pretty({"statuses": [v1(i, t) for i, t in enumerate(TEXTS)],
                               "search_metadata": {"count": len(TEXTS), "query": "%23Santander"}}))
    data = tmp_path / "twitter-archive" / "data"
    data.mkdir(parents=True)
    (data / "tweets.js").write_bytes(tweets_js())
    (data / "account.js").write_bytes(ACCOUNT_JS)
    expected = {str(v1(i)["id_str"]): t for i, t in enumerate(TEXTS)}
    expected.update({archive_tweet(i, t)["tweet"]["id_str"]: t for i, t in enumerate(TEXTS)})

    sink.start()
    stats = ReplayStats()
    result = producer.produce(replay([search, data / "tweets.js"], stats=stats), lake.kafka_bootstrap,
                              source="replay", prefix=box.prefix)
    assert result.reconciles and result.failed == 0 and result.rejected == 0
    assert result.produced == len(expected) == 2 * len(TEXTS)

    # raw: every tweet in exactly one landed line, its text byte for byte as sent (&amp; and all)
    raw_lines = assert_exactly_once(lake, box, wait_landed(lake, box))
    landed = [json.loads(line) for line in raw_lines]
    assert sorted(t["id_str"] for t in landed) == sorted(expected)
    assert all(t["full_text"] == expected[t["id_str"]] for t in landed)
    for text in TEXTS:
        assert sum(text.encode() in line for line in raw_lines) == 2, text

    # bronze, built on YARN from the sandbox's raw table: the texts unchanged
    bronze_db = f"{box.schema}_bronze"
    mp = pytest.MonkeyPatch()
    mp.setenv(pii.KEY_ENV, KEY)
    try:
        ddl.apply_layer(lake, "bronze", BRONZE_DB=bronze_db)
        spark.submit(lake, lake.root / "spark/jobs/build_bronze.py",
                     ["--pending", "--raw-table", f"{box.schema}.tweets", "--bronze-db", bronze_db],
                     master="yarn", name=f"it-replay-shapes-{bronze_db}", timeout=900)
        rows = clients.trino(lake, f"SELECT CAST(tweet_id AS varchar), text FROM hive.{bronze_db}.tweets")
    finally:
        mp.undo()
        clients.hive(lake, f"DROP DATABASE IF EXISTS {bronze_db} CASCADE")
    assert dict(rows) == expected
