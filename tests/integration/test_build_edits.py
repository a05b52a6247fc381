"""Edited tweets on the real stack (issue #22, edits): bronze keeps every version, silver and gold one row
per edit chain -- the newest id, its text, its edit count -- across ingest dates and created dates.

A sandbox (tests/integration/build_sandbox.py) gets, as raw-sink files:
* ingest date 1: X's real edit chain's original (twarc's edited_before.jsonl, its history already naming
  the edit), a tweet quoting it (quoted_edit.jsonl), synthetic v2 tweets, and the original of a
  hand-made chain posted at 23:50 UTC;
* ingest date 2: the real edit (edited.jsonl, and edited_after.jsonl: the same version fetched again),
  and the hand-made chain's edit, posted after midnight: a newer version on a later ingest date and
  in another created_date partition.
The lake's bronze and silver tables are first made as the release before edits made them (no edit
columns): `make build`'s DDL step adds them (Hive for bronze, Trino for the bucketed silver.tweets).
Built date 1, then date 2, then both again; each build through lake.pipeline.build.run, with Spark where
the build tests run it (build_sandbox.spark_master(): local unless LAKE_TEST_SPARK_MASTER says).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingestion.records import Record
from ingestion.sources import synthetic
from ingestion.sources.replay import replay
from lake.pipeline import build, ddl
from lake.runtime import clients
from tests.integration.build_sandbox import build_sandbox, spark_master
from tests.raw_landing import Landed

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

ROOT = Path(__file__).resolve().parents[2]
KEY = "integration-test-key-edits-0123456789"
DAY1, DAY2 = "2026-03-01", "2026-03-02"
ORIGINAL, EDIT = 1576994746135764992, 1576994789110992896  # X's real chain, created 2022-10-03
# a hand-made chain across midnight: the original on the 10th, its edit on the 11th
LATE_ROOT, LATE_EDIT = 1745000000000000001, 1745000000000000002
LATE_AUTHOR = "990000000000000123"


def late_tweet(tweet_id: int, history: list[int], when: str, text: str) -> str:
    return json.dumps({"data": {"id": str(tweet_id), "author_id": LATE_AUTHOR, "created_at": when, "lang": "en",
                                "text": text, "edit_history_tweet_ids": [str(i) for i in history],
                                "entities": {"hashtags": [{"start": text.index("#"), "end": len(text), "tag": "outage"}]}},
                       "includes": {"users": [{"id": LATE_AUTHOR, "username": "late_editor_fake", "name": "Late"}]}})


LATE_V1 = late_tweet(LATE_ROOT, [LATE_ROOT], "2026-01-10T23:50:00.000Z", "bank app down again #outage")
LATE_V2 = late_tweet(LATE_EDIT, [LATE_ROOT, LATE_EDIT], "2026-01-11T00:10:00.000Z", "bank app back up #outage")


def old_release_ddl(lake, dbs: build.Databases) -> None:
    """bronze.tweets and silver.tweets as the release before edits created them: without the edit columns."""
    params = ddl.ddl_params(lake, **dbs.params())
    clients.hive(lake, f"CREATE DATABASE IF NOT EXISTS {dbs.silver}")  # silver/tweets.sql (Trino) makes no schema
    for rel, drop in (("bronze/tweets.sql", r"(?m),\n  edit_root_id .*\n  edit_version .*\n  edit_versions [^\n]*"),
                      ("silver/tweets.sql", r"(?m)  edit_root_id .*\n  edit_count .*\n")):
        path = ROOT / "hive" / "ddl" / rel
        for stmt in ddl.statements(path, params):
            old = re.sub(drop, "", stmt)
            assert "CREATE TABLE" not in stmt or ("edit_root_id" in stmt and "edit_root_id" not in old)
            (clients.trino if ddl.engine(path) == "trino" else clients.hive)(lake, old)


def payload(shared_data, name: str) -> str:
    (rec,) = [r for r in replay([shared_data / "tweets" / "v2-twarc" / "test-data" / name]) if isinstance(r, Record)]
    return rec.payload.decode()


def one_per_chain(lake, dbs, table: str, columns: str) -> list[tuple]:
    return clients.trino(lake, f"SELECT {columns} FROM hive.{table} WHERE tweet_id IN "
                               f"({ORIGINAL}, {EDIT}, {LATE_ROOT}, {LATE_EDIT}) ORDER BY tweet_id")


@pytest.fixture(scope="module")
def sandbox(lake, shared_data):
    with build_sandbox(lake, KEY) as box:
        dbs, root = box.dbs, box.root
        old_release_ddl(lake, dbs)
        synth = [r.payload.decode() for r in synthetic.generate(30, seed=22, days=1, fmt="v2")]
        landed = Landed()
        landed.add(root, DAY1, "08", 0, 0, [payload(shared_data, "edited_before.jsonl"),
                                            payload(shared_data, "quoted_edit.jsonl"), *synth, LATE_V1])
        landed.add(root, DAY2, "08", 0, 33, [payload(shared_data, "edited.jsonl"), LATE_V2])
        landed.add(root, DAY2, "09", 0, 35, [payload(shared_data, "edited_after.jsonl")])
        landed.write(lake, dbs.raw, root)
        yield dbs, synth


@pytest.fixture(scope="module")
def first(lake, sandbox):
    dbs, _ = sandbox
    return build.run(lake, dates=[DAY1], dbs=dbs, master=spark_master())


def test_the_build_adds_the_edit_columns_to_tables_an_older_release_made(lake, sandbox, first):
    dbs, _ = sandbox
    for table, wanted in ((f"{dbs.bronze}.tweets", ["edit_root_id", "edit_version", "edit_versions"]),
                          (f"{dbs.silver}.tweets", ["edit_root_id", "edit_count"])):
        cols = [r[0] for r in clients.trino(lake, f"DESCRIBE hive.{table}")]
        assert cols[-len(wanted) - 1:] == [*wanted, "created_date"], cols


def test_first_date_holds_the_originals_with_what_their_history_says(lake, sandbox, first):
    dbs, synth = sandbox
    assert all(g.passed for g in first.gates), [g.line() for g in first.gates if not g.passed]
    # the real original was fetched after its edit: its history already lists 2 versions
    assert one_per_chain(lake, dbs, f"{dbs.silver}.tweets", "tweet_id, edit_root_id, edit_count") == \
        [(ORIGINAL, ORIGINAL, 1), (LATE_ROOT, LATE_ROOT, 0)]
    [(n,)] = clients.trino(lake, f"SELECT count(*) FROM hive.{dbs.silver}.tweets")
    assert n == len(synth) + 3 == first.steps["bronze"]["bronze_rows"]


@pytest.fixture(scope="module")
def second(lake, sandbox, first):
    """Date 2 built as lake_batch builds it: one application per layer, so gold finds the extra
    created date (the older version's) by itself, as silver does."""
    dbs, _ = sandbox
    reps = {layer: build.run(lake, dates=[DAY2], layers=(layer,), dbs=dbs, master=spark_master())
            for layer in ("bronze", "silver", "gold")}
    return reps, snapshot(lake, dbs)


def snapshot(lake, dbs) -> dict[str, list]:
    return {t: sorted(clients.trino(lake, f"SELECT * FROM hive.{t}"), key=repr)
            for t in (f"{dbs.bronze}.tweets", f"{dbs.silver}.tweets", f"{dbs.silver}.tweet_hashtags",
                      f"{dbs.gold}.fact_tweets", f"{dbs.gold}.bridge_tweet_hashtags", f"{dbs.gold}.mart_hashtag_daily")}


def test_bronze_keeps_every_version(lake, sandbox, second):
    dbs, _ = sandbox
    assert one_per_chain(lake, dbs, f"{dbs.bronze}.tweets",
                         "tweet_id, edit_root_id, edit_version, edit_versions, CAST(created_date AS varchar)") == [
        (ORIGINAL, ORIGINAL, 0, 2, "2022-10-03"), (EDIT, ORIGINAL, 1, 2, "2022-10-03"),
        (LATE_ROOT, LATE_ROOT, 0, 1, "2026-01-10"), (LATE_EDIT, LATE_ROOT, 1, 2, "2026-01-11")]
    reps, _ = second
    assert reps["bronze"].steps["bronze"]["duplicates"] == 1  # edited_after.jsonl: the edit fetched again


def test_silver_and_gold_keep_the_latest_version_of_each_chain(lake, sandbox, second, shared_data):
    dbs, synth = sandbox
    reps, _ = second
    gates = [g for rep in reps.values() for g in rep.gates]
    assert all(g.passed for g in gates), [g.line() for g in gates if not g.passed]
    assert {"one_row_per_edit_chain", "rows_match_bronze"} <= {g.name for g in reps["silver"].gates}
    # the older version's partition was rebuilt although bronze did not touch it (another created date)
    assert "2026-01-10" not in reps["bronze"].steps["bronze"]["created_dates"]
    assert "2026-01-10" in reps["silver"].created_dates and "2026-01-10" in reps["gold"].created_dates
    assert reps["silver"].steps["silver"]["superseded_versions"] == 2
    rows = one_per_chain(lake, dbs, f"{dbs.silver}.tweets", "tweet_id, edit_root_id, edit_count, text")
    assert [r[:3] for r in rows] == [(EDIT, ORIGINAL, 1), (LATE_EDIT, LATE_ROOT, 1)]
    assert json.loads(payload(shared_data, "edited.jsonl"))["data"]["text"] == "hey :) https://t.co/rnwEIoNuqd"
    assert rows[0][3] == "hey :) https://t.co/rnwEIoNuqd" and rows[1][3] == "bank app back up #outage"
    assert one_per_chain(lake, dbs, f"{dbs.gold}.fact_tweets", "tweet_id, edit_count") == [(EDIT, 1), (LATE_EDIT, 1)]
    # one row per chain in every count: silver and the fact hold each tweet once, the marts count it once
    for t in (f"{dbs.silver}.tweets", f"{dbs.gold}.fact_tweets"):
        [(n, ids)] = clients.trino(lake, f"SELECT count(*), count(DISTINCT tweet_id) FROM hive.{t}")
        assert n == ids == len(synth) + 3, t
    [(outage,)] = clients.trino(lake, f"SELECT sum(tweets) FROM hive.{dbs.gold}.mart_hashtag_daily "
                                      "WHERE hashtag = 'outage'")
    assert outage == 1
    [(n,)] = clients.trino(lake, f"SELECT count(*) FROM hive.{dbs.gold}.bridge_tweet_hashtags "
                                 f"WHERE tweet_id IN ({LATE_ROOT}, {LATE_EDIT})")
    assert n == 1


def test_building_every_date_again_changes_nothing(lake, sandbox, second):
    dbs, _ = sandbox
    _, before = second
    rep = build.run(lake, dates=[DAY1, DAY2], dbs=dbs, master=spark_master())
    assert all(g.passed for g in rep.gates), [g.line() for g in rep.gates if not g.passed]
    after = snapshot(lake, dbs)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} changed on rebuild"
    # and the first date alone (the originals' ingest date) brings no older version back
    build.run(lake, dates=[DAY1], dbs=dbs, master=spark_master())
    assert one_per_chain(lake, dbs, f"{dbs.silver}.tweets", "tweet_id") == [(EDIT,), (LATE_EDIT,)]
