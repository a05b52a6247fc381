"""The lambda architecture end to end on the real stack, in a private pipeline (lake/demos/sandbox.py):
its own topic, raw sink, speed-layer stream, schemas it_<tag>_*, and Airflow's lake_batch DAG run with
`airflow dags test` into those schemas.

One story, in order (each test needs the ones before; a module fixture holds the pipeline):

1. tweets for two past ingest dates D1, D2 (Kafka timestamps) stream in, with duplicates and bad
   records: serving.tweets answers from the speed layer, each tweet once; the bad records are in
   speed.tweets_rejected with parse.py's reasons.
2. lake_batch runs for D1 and D2 (the "backfill", first pass): succeeds, gold has the created-date
   partitions of those tweets, the watermark covers them.
3. live tweets arrive (some re-ingest D1/D2 tweets) while the batch layer covers D1 and D2 only:
   serving.tweets has exactly N distinct ids, N rows.
4. retention drops the covered speed days: still N.
5. lake_batch runs again for D1 and D2: bronze, silver, gold and the watermark are identical.
6. kill -9 of the stream mid-flow, tweets produced while it is down, restart: no loss, no duplicate.
7. a past ingest date lands; the scheduler runs the sandbox's own lake_batch (its plan builds what is
   pending) and then lake_maintenance, which expires the speed day the batch now serves.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from lake.demos.sandbox import SpeedSandbox, ids_of, tweet_payloads
from lake import airflow_env
from lake.pipeline import serving
from lake.runtime import clients
from spark.transforms import parse

pytestmark = [pytest.mark.integration, pytest.mark.lambda_e2e]

NOW = datetime.now(timezone.utc)
D1, D2 = (NOW - timedelta(days=2)).date(), (NOW - timedelta(days=1)).date()
BAD = [(None, b"not json {"), (None, b'{"foo": 1}'), ("5", b'{"id": 5, "author_id": "9", "text": "x"}')]
BAD_REASONS = {parse.INVALID_JSON: 1, parse.NOT_A_TWEET: 1, parse.BAD_ID_TYPE: 1}


def noon_ms(day) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc).timestamp() * 1000)


class Story:
    def __init__(self, box: SpeedSandbox):
        self.box = box
        self.produced: set[int] = set()
        self.records = 0  # Kafka records produced (tweets, duplicates and bad ones)
        self.snapshots: list[dict] = []
        self.today = 0

    def produce(self, payloads, ts_ms=None) -> None:
        self.box.produce(payloads, timestamp_ms=ts_ms)
        self.produced |= ids_of(payloads)
        self.records += len(payloads)

    def run_batch(self, *days) -> str:
        """One manual lake_batch run that rebuilds `days` (its conf's "dates"), dated after the last of them."""
        logical = (max(days) + timedelta(days=1)).isoformat()
        where = {"schema_prefix": self.box.prefix, "raw_root": self.box.raw_root,
                 "dates": sorted(d.isoformat() for d in days)}
        # Spark in local mode for these runs (LAKE_TEST_SPARK_MASTER=yarn to change): same engine, metastore
        # and HDFS, without queueing for YARN containers behind other builds; the DAG's default is YARN.
        master = os.environ.get("LAKE_TEST_SPARK_MASTER", "local[2]")
        r = airflow_env.dags_test(self.box.s, "lake_batch", logical, conf=where, timeout=3000, extra_env={
            "LAKE_SCHEMA_PREFIX": where["schema_prefix"], "LAKE_RAW_ROOT": where["raw_root"],
            "LAKE_SPARK_MASTER": master,
            "AIRFLOW_CONN_LAKE_SPARK": json.dumps({"conn_type": "spark", "host": master})})
        out = r.stdout + r.stderr
        assert r.returncode == 0, f"airflow dags test lake_batch {logical} failed:\n{out[-4000:]}"
        return out

    def tables(self) -> dict:
        p = self.box.prefix
        q = lambda sql: sorted(clients.trino(self.box.s, sql))  # noqa: E731
        return {
            "bronze": q(f"SELECT tweet_id, ingest_date, kafka_partition, kafka_offset, like_count "
                        f"FROM hive.{p}bronze.tweets"),
            "silver": q(f"SELECT tweet_id, created_date, sentiment_label, country, hashtags, ingest_date "
                        f"FROM hive.{p}silver.tweets"),
            "gold": q(f"SELECT created_date, count(*), sum(engagement) FROM hive.{p}gold.fact_tweets GROUP BY 1"),
            "watermarks": q(f"SELECT ingest_date, ingest_hour, topic, kafka_partition, max_offset, silver_rows "
                            f"FROM hive.{p}ops.batch_watermarks"),
        }


@pytest.fixture(scope="module")
def story(lake):
    box = SpeedSandbox(lake, uuid.uuid4().hex[:8], trigger_seconds=5)
    try:
        box.create()
        box.start_sink()
        box.start_speed()
        yield Story(box)
    finally:
        box.destroy()


def assert_each_tweet_once(story: Story) -> dict:
    counts = story.box.serving_counts()
    assert counts["rows"] == counts["distinct"] == len(story.produced), counts
    assert story.box.serving_ids() == story.produced
    return counts


def test_1_speed_layer_serves_fresh_tweets_once_and_rejects_bad_records(story):
    a = tweet_payloads(150, seed=61)
    b = tweet_payloads(150, seed=62) + a[:10]  # D2 re-ingests ten D1 tweets
    story.produce(a + a[:5] + BAD, noon_ms(D1))  # five duplicates within D1
    story.produce(b, noon_ms(D2))
    story.box.wait_speed(story.records)
    assert_each_tweet_once(story)
    rejects = dict(clients.trino(story.box.s, f"SELECT reason, count(*) FROM hive.{story.box.prefix}speed."
                                              f"tweets_rejected GROUP BY 1"))
    assert rejects == BAD_REASONS


@pytest.mark.timeout(3 * 3000)
def test_2_lake_batch_builds_both_dates_and_gold_partitions(story):
    # the raw sink lands JSON objects only: "not json {" goes to its _rejected folder
    lines = {D1: 150 + 5 + len(BAD) - 1, D2: 160}
    for day, n in lines.items():
        story.box.wait_landed(day.isoformat(), n)
    # One run for both dates (a hand-made backfill): one Spark application per layer, not one per layer and date.
    out = story.run_batch(D1, D2)
    assert "advance_watermark" in out
    p = story.box.prefix
    created = {str(r[0]) for r in clients.trino(story.box.s, f"SELECT DISTINCT created_date FROM hive.{p}silver.tweets")}
    gold = {str(r[0]) for r in clients.trino(story.box.s, f"SELECT DISTINCT created_date FROM hive.{p}gold.fact_tweets")}
    assert created and gold == created
    silver_ids = {r[0] for r in clients.trino(story.box.s, f"SELECT tweet_id FROM hive.{p}silver.tweets")}
    assert silver_ids == story.produced  # everything produced so far was in D1 or D2
    wm = clients.trino(story.box.s, f"SELECT DISTINCT ingest_date FROM hive.{p}ops.batch_watermarks")
    assert {r[0] for r in wm} == {D1.isoformat(), D2.isoformat()}
    story.snapshots.append(story.tables())


def test_3_live_tweets_and_batch_meet_each_tweet_once(story):
    before = assert_each_tweet_once(story)
    assert before.get("speed", 0) == 0  # the batch layer covers everything so far
    live = tweet_payloads(120, seed=63)
    old = tweet_payloads(150, seed=61)[:7] + tweet_payloads(150, seed=62)[:7]  # re-ingested after the batch
    story.produce(live + old + live[:4])
    story.today = len(live) + len(old) + 4  # Kafka records of today's ingest date, all valid tweets
    story.box.wait_speed(story.records)
    counts = assert_each_tweet_once(story)
    assert counts["speed"] == len(ids_of(live)) and counts["batch"] == before["batch"]


def test_4_retention_drops_covered_speed_days_and_changes_no_answer(story):
    dropped = serving.expire_speed(story.box.s, story.box.dbs)
    assert sorted(dropped) == [D1.isoformat(), D2.isoformat()]
    left = {r[0] for r in clients.trino(story.box.s, f"SELECT DISTINCT ingest_date FROM hive.{story.box.prefix}"
                                                     f"speed.tweets")}
    assert left == {NOW.date().isoformat()}
    assert_each_tweet_once(story)
    assert serving.expire_speed(story.box.s, story.box.dbs) == []  # nothing more to drop


@pytest.mark.timeout(3 * 3000)
def test_5_backfill_run_twice_gives_identical_tables(story):
    story.run_batch(D1, D2)
    again = story.tables()
    assert again == story.snapshots[0]
    assert_each_tweet_once(story)


def test_6_stream_recovers_from_kill9_without_loss_or_duplicates(story):
    box = story.box
    burst = tweet_payloads(300, seed=64)
    story.produce(burst[:150])
    story.today += 150
    time.sleep(box.trigger_seconds * 1.5)  # so the kill lands while batches are in flight, not a readiness wait
    box.kill9_speed()
    story.produce(burst[150:] + burst[:3])  # while it is down (3 re-sent tweets: new Kafka records)
    story.today += 153
    box.start_speed()
    box.wait_speed(story.today)  # after retention, speed holds today's records only
    rows = clients.trino(box.s, f"SELECT count(*), count(DISTINCT format('%d:%d', kafka_partition, kafka_offset)) "
                                f"FROM hive.{box.prefix}speed.tweets")[0]
    assert rows == (story.today, story.today), f"(rows, distinct Kafka records) {rows}, want {story.today} each"
    assert_each_tweet_once(story)


@pytest.mark.timeout(3000)
def test_7_the_scheduler_builds_what_is_pending_and_maintenance_follows(story):
    """Issue #28: a new (past) ingest date lands; the sandbox's copy of lake_batch, unpaused the way
    `make up` unpauses the lake's, is run by the scheduler (not `dags test`): its plan builds the pending
    dates, a manual build meanwhile waits for the lock and gives up in one line, lake_maintenance runs
    after it and expires the speed day the batch now serves, and serving.tweets counts each tweet once."""
    import dataclasses
    import subprocess
    import sys

    from lake.pipeline import lock
    from lake.runtime import probes

    box, s = story.box, story.box.s
    d0 = (NOW - timedelta(days=3)).date()
    fresh = tweet_payloads(80, seed=65)
    story.produce(fresh, noon_ms(d0))
    box.wait_speed(story.today + len(fresh))  # after retention, speed holds today's records and d0's
    box.wait_landed(d0.isoformat(), len(fresh))
    assert d0.isoformat() in {r[0] for r in clients.trino(s, f"SELECT DISTINCT ingest_date FROM hive.{box.prefix}"
                                                             f"speed.tweets")}

    box.register_dags()
    batch, maintenance = box.dag_ids
    said = airflow_env.apply_schedule(dataclasses.replace(s, airflow_schedule="on"), box.dag_ids)
    assert said.startswith("DAGs on schedule") and all(d in said for d in box.dag_ids), said

    # a manual build of the same schemas while the scheduled run's build holds the lock: one line, exit 1.
    # The run's comply task (before plan) holds the same lock for about a second first: wait for the build.
    def build_holds_lock():
        held = lock.is_held(s, box.prefix)
        what = lock.holder(lock.lock_path(s, box.prefix)).get("what", "") if held else ""
        return probes.ProbeResult(held and "comply" not in what, f"build lock held by {what or 'nobody'}")

    probes.wait_for(build_holds_lock, 900, f"the scheduler's {batch} build (log: {s.log_dir / 'airflow'})")
    manual = subprocess.run([sys.executable, "-m", "lake", "build", "--date", d0.isoformat(), "--schema-prefix",
                             box.prefix], capture_output=True, text=True, timeout=300, cwd=s.root,
                            env={**os.environ, "LAKE_BUILD_LOCK_TIMEOUT": "2"})
    assert manual.returncode == 1, manual.stdout + manual.stderr
    err = [ln for ln in manual.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "another build" in err[0] and "gave up after 2 s" in err[0], manual.stderr
    assert "Traceback" not in manual.stdout + manual.stderr

    def finished(dag_id: str, run_type: str):
        def probe():
            runs = [r for r in airflow_env.dag_runs(s, dag_id) if r["run_type"] == run_type]  # a new DAG: all ours
            done = [r for r in runs if r["state"] in ("success", "failed")]
            return probes.ProbeResult(bool(done), f"{dag_id} {run_type} runs: {[r['state'] for r in runs]}")
        return probe

    probes.wait_for(finished(batch, "scheduled"), 1800, f"scheduler running {batch} (log: {s.log_dir / 'airflow'})")
    run = next(r for r in airflow_env.dag_runs(s, batch) if r["run_type"] == "scheduled")
    assert run["state"] == "success", run
    built = airflow_env.xcom(s, batch, run["dag_run_id"], "plan")
    assert d0.isoformat() in built and D1.isoformat() not in built, built  # D1 was built: not pending any more
    p = box.prefix
    assert {str(r[0]) for r in clients.trino(s, f"SELECT DISTINCT ingest_date FROM hive.{p}ops.batch_watermarks")} \
        >= {d0.isoformat(), D1.isoformat(), D2.isoformat()}
    assert ids_of(fresh) <= {r[0] for r in clients.trino(s, f"SELECT tweet_id FROM hive.{p}silver.tweets "
                                                            f"WHERE ingest_date = '{d0}'")}

    probes.wait_for(finished(maintenance, "asset_triggered"), 900, f"scheduler running {maintenance} after {batch}")
    mrun = next(r for r in airflow_env.dag_runs(s, maintenance) if r["run_type"] == "asset_triggered")
    assert mrun["state"] == "success", mrun
    assert d0.isoformat() in airflow_env.xcom(s, maintenance, mrun["dag_run_id"], "expire_speed")
    left = {r[0] for r in clients.trino(s, f"SELECT DISTINCT ingest_date FROM hive.{p}speed.tweets")}
    assert d0.isoformat() not in left
    assert_each_tweet_once(story)

    # what `make status` shows of them: not paused, the last runs, the next batch run
    rows = {r["dag"]: r for r in airflow_env.dag_summaries(s, box.dag_ids)}
    assert rows[batch]["paused"] == "no" and rows[batch]["last"].startswith("success")
    assert rows[batch]["next"] not in ("-", "- (paused)") and rows[maintenance]["last"].startswith("success")
