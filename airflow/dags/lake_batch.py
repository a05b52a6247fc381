"""lake_batch: the batch layer, hourly, over raw ingest dates (docs/airflow.md).

    collect_x -> comply -> plan -> bronze -> silver -> gold -> quality_gates -> compact -> analyze -> advance_watermark

What a run builds depends on how it was started:
* **scheduled** (every hour, from the first `make up`): every ingest date with raw files bronze has not
  loaded (lake/pipeline/pending.py: new dates, late files), up to the run's interval. Nothing pending:
  `plan` skips the rest and the run succeeds in seconds. Missed hours are not caught up one by one
  (catchup=False): the next run's plan finds whatever they left pending, so a lake that was off for a
  week builds its backlog in one run, and dates with no raw data never cause a run.
* **backfill** (`airflow backfill create`): like scheduled, the dates pending up to each run's interval,
  so the 24 hourly runs of a day build it once and a built date is not rebuilt.
* **manual** (`make airflow-batch DATE=D`, a trigger): the run's own date, the ingest date of its
  data_interval_start, rebuilt whether pending or not (skipped when it has no raw files). A manual run whose
  conf names `"dates": ["D1", "D2", ...]` rebuilds those ingest dates instead, in one run (one Spark
  application per layer for all of them, as `make build --dates` does): a hand-made backfill of a few dates
  without one run, and four Spark applications, per date. A named date without raw files fails `plan`.
Before planning, `comply` applies pending X compliance events (`make comply`, docs/compliance.md): a
deleted tweet is out of every layer before the build runs; with nothing pending it takes seconds.
Every build step overwrites only the partitions it owns, so a rerun gives the same tables, and each
takes the lake's build lock (lake/pipeline/lock.py): a `make build` meanwhile waits for it.
The last task updates an asset that schedules lake_maintenance (after each batch run).
"""
from __future__ import annotations

import os

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.providers.common.sql.operators.sql import SQLCheckOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task
from airflow.timetables.interval import CronDataIntervalTimetable

from lake_dags import (DEFAULT_ARGS, LAKE_PYTHON, LAKE_ROOT, SCHEMA_PREFIX, SPARK_CONN, TRINO_CONN, batch_asset,
                       build_gates_filter, comply_args, ingest_date, lake_json, run_lake, run_type, sandboxes, settings,
                       trino_run)
from lake.settings import RAW_ROOT  # noqa: E402 - stdlib-only; importable once lake_dags put the repo on sys.path

PREFIX = "{{ params.schema_prefix }}"
BUILD_TASKS = ("bronze", "silver", "gold")  # their return values are `lake build`'s summary lines
# Hourly: a new ingest date is in silver and gold within the hour it lands (the speed layer serves it
# meanwhile); a run with nothing pending costs two small queries. The interval [H, H+1) of a manual run
# with logical date D+1 00:00 starts on D, so `make airflow-batch DATE=D` still means ingest date D.
SCHEDULE = "0 * * * *"


def prefix(context) -> str:
    return context["params"]["schema_prefix"]


def planned(context) -> list[str]:
    return context["ti"].xcom_pull(task_ids="plan") or []


def batch_dag(dag_id: str, schema_prefix: str, raw_root: str) -> DAG:
    # Run parameters, so a run carries where it builds (tests: `airflow dags test ... -c '{"schema_prefix": ...}'`);
    # whoever executes the run's tasks, dags test or the scheduler, then uses the same schemas.
    params = {"schema_prefix": schema_prefix, "raw_root": raw_root, "dates": []}
    with DAG(
        dag_id=dag_id,
        description="pending raw ingest dates -> bronze -> silver -> gold, gates, compaction, statistics, watermark",
        schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,  # one build at a time: builds of different dates may share created_date partitions
        default_args=DEFAULT_ARGS,
        params=params,
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

        # 2. pending compliance events first (lake/pipeline/comply.py, as `make comply`): what they remove is out
        #    of raw, bronze, silver, gold, speed, rejects and the DLQ before anything is built; the dates it
        #    rebuilds are no longer pending for plan. Nothing pending: consume nothing, one ledger query.
        @task(task_id="comply", trigger_rule="none_failed")  # runs whether collect_x ran or was skipped
        def comply(**context):
            return run_lake(["lake", "comply", *comply_args(prefix(context), context["params"]["raw_root"])],
                            last_with="== comply")

        # 3. what to build: WebHDFS's raw folders against bronze's loaded files; nothing -> skip the rest
        @task.short_circuit(task_id="plan")
        def plan(**context) -> list[str]:
            end = context["data_interval_end"].strftime("%Y-%m-%d")
            found = lake_json(["lake.pipeline.pending", "--schema-prefix", prefix(context),
                               "--raw-root", context["params"]["raw_root"], "--through", end], "PLAN")
            kind, day = run_type(context), ingest_date(context)
            if kind in ("scheduled", "backfill"):  # a backfill's 24 hourly runs a day build each date once
                dates = found["pending"]
            elif context["params"].get("dates"):  # a manual run for named dates (see the module's doc)
                dates = sorted(set(context["params"]["dates"]))
                missing = [d for d in dates if d not in found["raw"]]
                if missing:  # a typo in the conf, not a passing fault: fail without retries
                    from airflow.exceptions import AirflowFailException

                    raise AirflowFailException(f"dates {', '.join(missing)} have no raw files under "
                                     f"{context['params']['raw_root']}: nothing to build for them")
            else:
                dates = [day] if day in found["raw"] else []
            print(f"{kind} run: builds {', '.join(dates) or 'nothing'} (pending: {', '.join(found['pending']) or '-'}; "
                  f"raw dates: {len(found['raw'])})")
            return dates

        # 4. the build, one task per layer; each layer's quality gates run inside it and fail it with exit 6
        def layer(name: str):
            @task(task_id=name)
            def build(**context):
                return run_lake(["lake", "build", "--dates", ",".join(planned(context)), "--layers", name,
                                 "--schema-prefix", prefix(context)])
            return build()

        # 5. the gates, read back: each of this run's three builds recorded gates, and every one passed
        quality_gates = SQLCheckOperator(
            task_id="quality_gates",
            conn_id=TRINO_CONN,
            sql=(f"SELECT count(DISTINCT run_id) = {len(BUILD_TASKS)} AS every_build_recorded_gates, "
                 f"count_if(NOT passed) = 0 AS all_passed "
                 f"FROM hive.{PREFIX}ops.quality_checks "
                 f"WHERE {{{{ build_gates_filter(ti.xcom_pull(task_ids={list(BUILD_TASKS)})) }}}}"),
            retries=0,
        )

        # 6. compaction of bronze's small files (the provider's spark-submit; the job is lake/pipeline/compact.py's)
        compact = SparkSubmitOperator(
            task_id="compact",
            conn_id=SPARK_CONN,
            application=str(LAKE_ROOT / "spark" / "jobs" / "compact.py"),
            application_args=["--table", f"{PREFIX}bronze.tweets", "--target-mb", "128", "--grace-seconds", "30"],
            name="lake-compact-bronze",
            driver_memory="1g",
            verbose=False,
        )

        # 7. statistics for the cost-based optimizer, on the partitions these dates touched
        @task(task_id="analyze")
        def analyze(**context):
            days, p = planned(context), prefix(context)
            in_days = ", ".join(f"'{d}'" for d in days)
            created = [str(r[0]) for r in trino_run(
                f"SELECT DISTINCT created_date FROM hive.{p}silver.tweets WHERE ingest_date IN ({in_days})")]
            done = []
            for table in (f"{p}silver.tweets", f"{p}gold.fact_tweets"):
                if created:
                    parts = ", ".join(f"ARRAY['{d}']" for d in created)
                    trino_run(f"ANALYZE hive.{table} WITH (partitions = ARRAY[{parts}])")
                    done.append(table)
            print(f"analyzed {', '.join(done) or 'nothing'} for {len(created)} created date(s)")
            return created

        # 8. the watermark: serving.tweets now takes these dates' tweets from silver; lake_maintenance follows
        @task(task_id="advance_watermark", outlets=[batch_asset(schema_prefix)])
        def advance_watermark(**context):
            from lake.pipeline import serving

            slots = 0
            for day in planned(context):
                rows = serving.advance_watermark(settings(), day, run_id=context["run_id"],
                                                 dbs=serving.dbs_with_prefix(prefix(context)), run=trino_run)
                print(f"watermark {day}: {len(rows)} slot(s), {sum(r[4] for r in rows)} silver rows")
                slots += len(rows)
            return slots

        b, s_, g = layer("bronze"), layer("silver"), layer("gold")
        collect_x >> comply() >> plan() >> b >> s_ >> g >> quality_gates >> compact >> analyze() >> advance_watermark()
    return dag


lake_batch = batch_dag("lake_batch", SCHEMA_PREFIX, os.environ.get("LAKE_RAW_ROOT", RAW_ROOT))
for box in sandboxes():
    globals()[f"lake_batch__{box['tag']}"] = batch_dag(f"lake_batch__{box['tag']}", box["schema_prefix"], box["raw_root"])
