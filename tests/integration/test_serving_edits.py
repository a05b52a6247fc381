"""Edited tweets in serving.tweets (issue #22, edits): one row per edit chain, the newest version (highest
tweet id), whichever layer holds it -- silver's older version gives way to a newer one the speed layer
streamed, a speed row to a newer silver version, and of two versions only in speed the newer one shows.

A private pipeline (lake/demos/sandbox.py: own topic, stream, checkpoint and schemas, no raw sink). Its
speed.tweets is first made as the release before this one made it (no edit columns), with today's
partition registered: the sandbox's DDL step adds the columns (lake/pipeline/ddl.py), and the stream then
writes its rows into that older partition, as on a running stack.
* batch: raw files of one past ingest date (X's real edit chain's original, twarc's edited_before.jsonl;
  the edit of a hand-made chain C; synthetic v2 tweets), built into silver by lake.pipeline.build and
  covered by the watermark;
* speed, two waves: X's real edit (edited.jsonl, and edited_after.jsonl, the same version fetched again),
  the edit of a hand-made chain B and synthetic tweets; then B's original (an older version arriving
  later) and C's original (older than silver's version).
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

import pytest

from ingestion.records import Record
from ingestion.sources.replay import replay
from lake.demos.sandbox import SpeedSandbox, ids_of, tweet_payloads
from lake.pipeline import build, ddl, serving
from lake.pipeline.layers import Databases
from lake.runtime import clients
from tests.integration.build_sandbox import spark_master
from tests.raw_landing import Landed

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

DAY = "2026-03-05"  # the batch's ingest date
ORIGINAL, EDIT = 1576994746135764992, 1576994789110992896  # X's real chain (tests/unit/test_edit_chains.py)
B_ROOT, B_EDIT = 1745100000000000001, 1745100000000000002  # only in speed
C_ROOT, C_EDIT = 1745200000000000001, 1745200000000000002  # the edit in silver, the original in speed
AUTHOR = "990000000000000222"


def version(tweet_id: int, history: list[int], text: str) -> bytes:
    """A hand-made v2 version of an edited tweet: its own id, the chain's history up to it."""
    return json.dumps({"data": {"id": str(tweet_id), "author_id": AUTHOR, "created_at": "2026-03-05T09:00:00.000Z",
                                "lang": "en", "text": text, "edit_history_tweet_ids": [str(i) for i in history]},
                       "includes": {"users": [{"id": AUTHOR, "username": "edits_fake", "name": "Edits"}]}}).encode()


def payload(shared_data, name: str) -> bytes:
    (rec,) = [r for r in replay([shared_data / "tweets" / "v2-twarc" / "test-data" / name]) if isinstance(r, Record)]
    return rec.payload


def old_release_speed_table(box: SpeedSandbox, today: str) -> None:
    """<prefix>speed.tweets as the release before the edit columns made it, with today's partition."""
    path = box.s.root / "hive" / "ddl" / "speed" / "tweets.sql"
    params = ddl.ddl_params(box.s, SPEED_DB=box.dbs["SPEED_DB"])
    for stmt in ddl.statements(path, params):
        old = re.sub(r"(?m),\n  edit_root_id [^\n]*\n  edit_count [^\n]*", "", stmt)
        assert "CREATE TABLE" not in stmt or ("edit_root_id" in stmt and "edit_root_id" not in old)
        clients.hive(box.s, old)
    clients.hive(box.s, f"ALTER TABLE {box.dbs['SPEED_DB']}.tweets ADD PARTITION (ingest_date='{today}')")


@pytest.fixture(scope="module")
def box(lake):
    b = SpeedSandbox(lake, f"se{uuid.uuid4().hex[:8]}", trigger_seconds=5.0)
    try:
        old_release_speed_table(b, datetime.now(timezone.utc).date().isoformat())
        b.create()  # every layer's DDL, the speed layer's adding the edit columns, and the view
        yield b
    finally:
        b.destroy()


@pytest.fixture(scope="module")
def built(lake, box, shared_data):
    """The batch: silver holds the real original and C's edit, the watermark covers their ingest date."""
    synth = tweet_payloads(5, seed=71, days=1)
    landed = Landed()
    landed.add(box.raw_root, DAY, "08", 0, 0, [payload(shared_data, "edited_before.jsonl").decode(),
                                               version(C_EDIT, [C_ROOT, C_EDIT], "C edited").decode(),
                                               *(v.decode() for _, v in synth)])
    landed.write(lake, f"{box.prefix}raw", box.raw_root)
    rep = build.run(lake, dates=[DAY], dbs=Databases(box.prefix), master=spark_master())
    assert all(g.passed for g in rep.gates), [g.line() for g in rep.gates if not g.passed]
    assert serving.advance_watermark(lake, DAY, dbs=box.dbs)
    return ids_of(synth)


def served(box: SpeedSandbox, roots: tuple[int, ...]) -> list[tuple]:
    """(edit_root_id, tweet_id, edit_count, served_from) of the chains `roots`, as serving.tweets has them."""
    return clients.trino(box.s, f"SELECT edit_root_id, tweet_id, edit_count, served_from FROM hive."
                                f"{box.dbs['SERVING_DB']}.tweets WHERE edit_root_id IN "
                                f"({', '.join(map(str, roots))}) ORDER BY edit_root_id, tweet_id")


def assert_one_row_per_tweet_and_chain(box: SpeedSandbox, want_rows: int) -> None:
    [(rows, tweets, chains)] = clients.trino(box.s, f"SELECT count(*), count(DISTINCT tweet_id), "
                                                    f"count(DISTINCT edit_root_id) FROM hive.{box.dbs['SERVING_DB']}.tweets")
    assert rows == tweets == chains == want_rows, (rows, tweets, chains, want_rows)


def test_the_ddl_adds_the_edit_columns_to_an_older_speed_table_and_the_view_serves_them(box):
    cols = [r[0] for r in clients.trino(box.s, f"DESCRIBE hive.{box.dbs['SPEED_DB']}.tweets")]
    assert cols[-4:] == ["created_date", "edit_root_id", "edit_count", "ingest_date"], cols
    view = [r[0] for r in clients.trino(box.s, f"DESCRIBE hive.{box.dbs['SERVING_DB']}.tweets")]
    assert view[-4:] == ["edit_root_id", "edit_count", "created_date", "served_from"], view


def test_the_batch_alone_serves_the_versions_silver_holds(box, built):
    assert served(box, (ORIGINAL, C_ROOT)) == [(ORIGINAL, ORIGINAL, 1, "batch"), (C_ROOT, C_EDIT, 1, "batch")]
    assert_one_row_per_tweet_and_chain(box, len(built) + 2)


def test_each_edit_chain_shows_its_newest_version_across_batch_and_speed(box, built, shared_data):
    live = tweet_payloads(3, seed=72, days=1)
    box.start_speed()
    # wave 1: the real edit (twice: fetched again later), B's edit, fresh tweets
    box.produce([(None, payload(shared_data, "edited.jsonl")), (None, payload(shared_data, "edited_after.jsonl")),
                 (None, version(B_EDIT, [B_ROOT, B_EDIT], "B edited")), *live])
    box.wait_speed(3 + len(live))
    # wave 2, in later micro-batches: older versions arriving after newer ones
    box.produce([(None, version(B_ROOT, [B_ROOT], "B original")), (None, version(C_ROOT, [C_ROOT], "C original"))])
    box.wait_speed(5 + len(live))

    # the stream wrote each version with its chain into the partition registered before the columns existed
    speed = clients.trino(box.s, f"SELECT tweet_id, edit_root_id, edit_count FROM hive.{box.dbs['SPEED_DB']}.tweets "
                                 f"WHERE tweet_id IN ({EDIT}, {B_ROOT}, {B_EDIT}, {C_ROOT}) ORDER BY tweet_id, kafka_offset")
    assert speed == [(EDIT, ORIGINAL, 1), (EDIT, ORIGINAL, 1), (B_ROOT, B_ROOT, 0), (B_EDIT, B_ROOT, 1),
                     (C_ROOT, C_ROOT, 0)]
    assert served(box, (ORIGINAL, B_ROOT, C_ROOT)) == [
        (ORIGINAL, EDIT, 1, "speed"),   # the newer version from speed replaces silver's original
        (B_ROOT, B_EDIT, 1, "speed"),   # two versions only in speed: the newest, though it arrived first
        (C_ROOT, C_EDIT, 1, "batch"),   # silver's newer version beats the older one streamed later
    ]
    [(text,)] = clients.trino(box.s, f"SELECT text FROM hive.{box.dbs['SERVING_DB']}.tweets WHERE tweet_id = {EDIT}")
    assert text == json.loads(payload(shared_data, "edited.jsonl"))["data"]["text"]
    # every other tweet once: the synthetic batch and speed tweets, one row per chain
    assert_one_row_per_tweet_and_chain(box, len(built) + len(ids_of(live)) + 3)
    ids = {r[0] for r in clients.trino(box.s, f"SELECT tweet_id FROM hive.{box.dbs['SERVING_DB']}.tweets")}
    assert ids == built | ids_of(live) | {EDIT, B_EDIT, C_EDIT}
