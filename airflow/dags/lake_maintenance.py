"""lake_maintenance: the speed layer's housekeeping, after each batch run (docs/serving.md).

    expire_speed -> closed_speed_days -> compact_speed

Scheduled on the asset lake_batch's last task updates: once the batch layer has covered more of the
speed layer's days, this run drops them.
1. Retention: drop the speed days serving.tweets no longer serves from (the batch layer covers
   them): lake/pipeline/serving.py expire_speed, SQL in hive/dml/speed/.
2. Compaction: the stream writes one file set per micro-batch (8,640 a day at a 10 s trigger);
   closed days that the batch layer has not covered yet are rewritten into few files by the
   lake's compaction job (lake/pipeline/compact.py, `make compact`), through the Spark provider.
"""
from __future__ import annotations

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, task

from lake_dags import DEFAULT_ARGS, LAKE_ROOT, SCHEMA_PREFIX, SPARK_CONN, batch_asset, sandboxes, settings, trino_run


def maintenance_dag(dag_id: str, schema_prefix: str) -> DAG:
    with DAG(
        dag_id=dag_id,
        description="speed layer: retention of covered days, compaction of closed days (after each batch run)",
        schedule=[batch_asset(schema_prefix)],
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params={"schema_prefix": schema_prefix},
        tags=["lake", "speed"],
        doc_md=__doc__,
    ) as dag:

        @task(task_id="expire_speed")
        def expire_speed(**context):
            from lake.pipeline import serving

            dbs = serving.dbs_with_prefix(context["params"]["schema_prefix"])
            days = serving.expire_speed(settings(), dbs, run=trino_run)
            print(f"speed retention: dropped {len(days)} day(s): {', '.join(days) or '-'}")
            return days

        @task.short_circuit(task_id="closed_speed_days")
        def closed_speed_days(**context) -> str:
            """Partitions the stream no longer writes: before the newest speed day and before today UTC.
            None left (the usual case once retention ran): compaction is skipped."""
            speed = f"{context['params']['schema_prefix']}speed"
            rows = trino_run(
                f"SELECT DISTINCT ingest_date FROM hive.{speed}.tweets WHERE ingest_date < "
                f"(SELECT max(ingest_date) FROM hive.{speed}.tweets) AND ingest_date < "
                f"CAST(CAST(current_timestamp AT TIME ZONE 'UTC' AS date) AS varchar) ORDER BY 1")
            return ",".join(f"ingest_date={r[0]}" for r in rows)

        days = closed_speed_days()
        compact_speed = SparkSubmitOperator(
            task_id="compact_speed",
            conn_id=SPARK_CONN,
            application=str(LAKE_ROOT / "spark" / "jobs" / "compact.py"),
            # never empty here (the short circuit skips this task then): empty would mean "all partitions"
            application_args=["--table", "{{ params.schema_prefix }}speed.tweets", "--partitions",
                              "{{ ti.xcom_pull(task_ids='closed_speed_days') }}",
                              "--target-mb", "128", "--grace-seconds", "30"],
            name="lake-compact-speed",
            driver_memory="1g",
        )
        expire_speed() >> days >> compact_speed
    return dag


lake_maintenance = maintenance_dag("lake_maintenance", SCHEMA_PREFIX)
for box in sandboxes():
    globals()[f"lake_maintenance__{box['tag']}"] = maintenance_dag(f"lake_maintenance__{box['tag']}",
                                                                   box["schema_prefix"])
