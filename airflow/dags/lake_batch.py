"""lake_batch: the batch layer for one raw ingest date per run (docs/airflow.md).

    collect_x -> wait_raw -> bronze -> silver -> gold -> quality_gates -> compact -> analyze -> advance_watermark

The logical partition is the raw sink's ingest_date= folder of the run's data_interval_start,
never today's date. Daily intervals [D 00:00, D+1 00:00) UTC run at D+1 00:00 UTC (the sink
rolls within its roll interval; the sensor and the build see what has landed).
Backfills (`airflow dags backfill lake_batch --start-date A --end-date B`) rebuild each date;
every step overwrites only the partitions it owns, so a rerun gives the same tables.
"""
from __future__ import annotations

import os

import pendulum
from airflow.providers.apache.hdfs.sensors.web_hdfs import WebHdfsSensor
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.providers.common.sql.operators.sql import SQLCheckOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task
from airflow.timetables.interval import CronDataIntervalTimetable

from lake_dags import (DEFAULT_ARGS, LAKE_PYTHON, LAKE_ROOT, SCHEMA_PREFIX, SPARK_CONN, TRINO_CONN, WEBHDFS_CONN,
                       build_gates_filter, ingest_date, run_lake, settings, trino_run)
from lake.settings import RAW_ROOT  # noqa: E402 - stdlib-only; importable once lake_dags put the repo on sys.path

DATE = "{{ data_interval_start.strftime('%Y-%m-%d') }}"
# Run parameters, so a run carries where it builds (tests: `airflow dags test ... -c '{"schema_prefix": ...}'`);
# whoever executes the run's tasks, dags test or the scheduler, then uses the same schemas.
PARAMS = {"schema_prefix": SCHEMA_PREFIX, "raw_root": os.environ.get("LAKE_RAW_ROOT", RAW_ROOT)}
PREFIX = "{{ params.schema_prefix }}"
BUILD_TASKS = ("bronze", "silver", "gold")  # their return values are `lake build`'s summary lines


def prefix(context) -> str:
    return context["params"]["schema_prefix"]

with DAG(
    dag_id="lake_batch",
    description="raw ingest date -> bronze -> silver -> gold, gates, compaction, statistics, watermark",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one build at a time: builds of different dates may share created_date partitions
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    user_defined_macros={"build_gates_filter": build_gates_filter},
    tags=["lake", "batch"],
    doc_md=__doc__,
) as dag:
    # 1. optional: collect #Santander from the X API when a token is set (exit 99 = skipped)
    collect_x = BashOperator(
        task_id="collect_x",
        bash_command=('[ -n "${X_BEARER_TOKEN:-}" ] || { echo "X_BEARER_TOKEN is not set: nothing to collect"; '
                      'exit 99; }; cd "$LAKE_ROOT" && "$LAKE_PYTHON" -m ingestion --source x --query "#Santander"'),
        env={"LAKE_ROOT": str(LAKE_ROOT), "LAKE_PYTHON": LAKE_PYTHON},
        append_env=True,
        skip_on_exit_code=99,
        retries=1,
    )

    # 2. the raw partition has landed (WebHDFS, the provider's sensor)
    wait_raw = WebHdfsSensor(
        task_id="wait_raw",
        webhdfs_conn_id=WEBHDFS_CONN,
        filepath="{{ params.raw_root }}/ingest_date=" + DATE,
        poke_interval=60,
        timeout=6 * 3600,
        mode="poke",
        trigger_rule="none_failed",  # runs whether collect_x ran or was skipped
    )

    # 3. the build, one task per layer; each layer's quality gates run inside it and fail it with exit 6
    @task(task_id="bronze")
    def bronze(**context):
        return run_lake(["lake", "build", "--date", ingest_date(context), "--layers", "bronze",
                         "--schema-prefix", prefix(context)])

    @task(task_id="silver")
    def silver(**context):
        return run_lake(["lake", "build", "--date", ingest_date(context), "--layers", "silver",
                         "--schema-prefix", prefix(context)])

    @task(task_id="gold")
    def gold(**context):
        return run_lake(["lake", "build", "--date", ingest_date(context), "--layers", "gold",
                         "--schema-prefix", prefix(context)])

    # 4. the gates, read back: each of this run's three builds recorded gates, and every one passed
    quality_gates = SQLCheckOperator(
        task_id="quality_gates",
        conn_id=TRINO_CONN,
        sql=(f"SELECT count(DISTINCT run_id) = {len(BUILD_TASKS)} AS every_build_recorded_gates, "
             f"count_if(NOT passed) = 0 AS all_passed "
             f"FROM hive.{PREFIX}ops.quality_checks "
             f"WHERE {{{{ build_gates_filter(ti.xcom_pull(task_ids={list(BUILD_TASKS)})) }}}}"),
        retries=0,
    )

    # 5. compaction of bronze's small files (the provider's spark-submit; the job is lake/pipeline/compact.py's)
    compact = SparkSubmitOperator(
        task_id="compact",
        conn_id=SPARK_CONN,
        application=str(LAKE_ROOT / "spark" / "jobs" / "compact.py"),
        application_args=["--table", f"{PREFIX}bronze.tweets", "--target-mb", "128", "--grace-seconds", "30"],
        name="lake-compact-bronze",
        driver_memory="1g",
        verbose=False,
    )

    # 6. statistics for the cost-based optimizer, on the partitions this date touched
    @task(task_id="analyze")
    def analyze(**context):
        day, p = ingest_date(context), prefix(context)
        created = [str(r[0]) for r in trino_run(
            f"SELECT DISTINCT created_date FROM hive.{p}silver.tweets WHERE ingest_date = '{day}'")]
        done = []
        for table in (f"{p}silver.tweets", f"{p}gold.fact_tweets"):
            if created:
                parts = ", ".join(f"ARRAY['{d}']" for d in created)
                trino_run(f"ANALYZE hive.{table} WITH (partitions = ARRAY[{parts}])")
                done.append(table)
        print(f"analyzed {', '.join(done) or 'nothing'} for {len(created)} created date(s)")
        return created

    # 7. the watermark: serving.tweets now takes this date's tweets from silver
    @task(task_id="advance_watermark")
    def advance_watermark(**context):
        from lake.pipeline import serving

        rows = serving.advance_watermark(settings(), ingest_date(context), run_id=context["run_id"],
                                         dbs=serving.dbs_with_prefix(prefix(context)), run=trino_run)
        print(f"watermark {ingest_date(context)}: {len(rows)} slot(s), {sum(r[4] for r in rows)} silver rows")
        return len(rows)

    b, s_, g = bronze(), silver(), gold()
    collect_x >> wait_raw >> b >> s_ >> g >> quality_gates >> compact >> analyze() >> advance_watermark()
