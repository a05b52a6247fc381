"""lake_batch applies pending compliance events before it builds (issue #22): the comply task's place in
the DAG, and the `lake comply` options it passes for the lake's schemas and for a sandbox's."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lake import cli
from lake.settings import COMPLY_GROUP, RAW_ROOT, REJECTED_ROOT, ROOT, TOPIC_COMPLIANCE, TOPIC_DLQ

sys.path.insert(0, str(ROOT / "airflow" / "dags"))
import lake_dags  # noqa: E402  (stdlib-only at import: importable without Airflow)

AIRFLOW_PYTHON = ROOT / ".venv-airflow" / "bin" / "python"
WALK = """
import json, os
from airflow.models.dagbag import DagBag
bag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], include_examples=False)
dag = bag.dags["lake_batch"]
order, seen = [], set()
def walk(t):
    if t.task_id in seen: return
    seen.add(t.task_id); order.append(t.task_id)
    for d in sorted(t.downstream_list, key=lambda x: x.task_id): walk(d)
walk(dag.get_task("collect_x"))
c = dag.get_task("comply")
print("DAG " + json.dumps({"errors": {k: v[-300:] for k, v in bag.import_errors.items()}, "order": order,
                           "comply_up": [t.task_id for t in c.upstream_list], "trigger": str(c.trigger_rule),
                           "plan_up": [t.task_id for t in dag.get_task("plan").upstream_list]}))
"""


def test_the_lakes_own_run_uses_the_lakes_topics_and_zones():
    args = lake_dags.comply_args("", RAW_ROOT)
    assert args == ["--raw-root", RAW_ROOT]
    parsed = cli._parser().parse_args(["comply", *args])
    assert (parsed.schema_prefix, parsed.raw_root, parsed.topic, parsed.group, parsed.rejected_root,
            parsed.dlq_topic) == ("", RAW_ROOT, None, None, None, None)  # comply.run's defaults: the lake's own


def test_a_sandbox_run_never_reads_the_lakes_compliance_topic_nor_touches_its_rejects():
    args = lake_dags.comply_args("it_ab12cd_", "/tmp/it-ab12cd/raw/tweets")
    p = cli._parser().parse_args(["comply", *args])
    assert p.schema_prefix == "it_ab12cd_" and p.raw_root == "/tmp/it-ab12cd/raw/tweets"
    assert p.topic == f"it.ab12cd.{TOPIC_COMPLIANCE}" and p.dlq_topic == f"it.ab12cd.{TOPIC_DLQ}"
    assert p.group == f"{COMPLY_GROUP}-ab12cd" and p.rejected_root == "/tmp/it-ab12cd/raw/_rejected/tweets"
    assert REJECTED_ROOT not in args and TOPIC_COMPLIANCE not in args


@pytest.mark.skipif(not AIRFLOW_PYTHON.exists(), reason="Airflow's virtualenv is not installed (make airflow-install)")
def test_comply_runs_after_collect_x_and_before_plan_and_the_build(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "airflow" / "dags"),
           "PYTHONPATH": str(ROOT / "airflow" / "dags"), "LAKE_ROOT": str(ROOT)}
    r = subprocess.run([str(AIRFLOW_PYTHON), "-c", WALK], env=env, capture_output=True, text=True, timeout=300)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("DAG ")), None)
    assert line, r.stderr[-2000:]
    got = json.loads(line[4:])
    assert got["errors"] == {}
    assert got["order"] == ["collect_x", "comply", "plan", "bronze", "silver", "gold", "quality_gates", "compact",
                            "analyze", "advance_watermark"]
    assert got["comply_up"] == ["collect_x"] and got["plan_up"] == ["comply"]
    assert got["trigger"] in ("none_failed", "TriggerRule.NONE_FAILED")  # runs when collect_x is skipped (no token)
