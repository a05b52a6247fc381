"""lake_batch's quality_gates task reads back the gates of the run's own three builds, found by run id."""
from __future__ import annotations

import re
import sys

from lake.pipeline import quality
from lake.pipeline.build import Report
from lake.settings import ROOT

sys.path.insert(0, str(ROOT / "airflow" / "dags"))
from lake_dags import build_gates_filter  # noqa: E402  (stdlib-only: importable without Airflow)


def summary(run_id: str) -> str:
    """The line `lake build` ends with (what the layer tasks return)."""
    return Report(run_id, ingest_dates=["2026-11-24"], created_dates=["2026-11-23", "2026-11-24"],
                  seconds=61.0).summary()


def test_filter_selects_exactly_the_builds_run_ids_from_the_earliest_builds_day():
    ids = [quality.new_run_id() for _ in range(3)]
    where = build_gates_filter([summary(i) for i in ids])
    assert re.fullmatch(r"check_date >= DATE '\d{4}-\d{2}-\d{2}' AND run_id IN \('[^']+', '[^']+', '[^']+'\)", where)
    assert sorted(re.findall(r"'([^']+)'", where)[1:]) == sorted(ids)
    day = min(ids)[:8]
    assert f"DATE '{day[:4]}-{day[4:6]}-{day[6:]}'" in where


def test_a_build_that_returned_nothing_is_left_out_so_the_count_check_fails():
    ids = ["20261124T014804Z-6651e9", "20261124T235959Z-abcdef"]
    where = build_gates_filter([summary(ids[0]), None, summary(ids[1])])
    assert where.split("IN (")[1].count("'") == 4  # two of three ids: count(DISTINCT run_id) = 3 fails the task
    assert build_gates_filter(None) == build_gates_filter([]) == build_gates_filter(["exit 1"]) == "false"


def test_only_run_ids_reach_the_sql():
    where = build_gates_filter(["== build 20261124T014804Z-6651e9' OR 1=1 -- done in 1s"])
    assert where == "false"


def test_the_demo_names_what_failed_in_a_long_dags_test_log():
    from lake.demos.lambda_demo import failure_lines

    log = "\n".join(
        ["[info] Command exited with return code 99", "[info] Skipping task."]
        + ["[info] Task started"]
        + ["[error    ] Task failed with exception", "Traceback (most recent call last):",
           "airflow.exceptions.AirflowException: Test failed.", "Query:", "SELECT 1", "Results:", "(False,)"]
        + [f"[info] line {i}" for i in range(200)] + ["DagRun failed"])
    shown = failure_lines(log)
    assert "Test failed." in shown and "SELECT 1" in shown and "[error    ] Task failed" in shown
    assert "Skipping task" not in shown and "line 150" not in shown
