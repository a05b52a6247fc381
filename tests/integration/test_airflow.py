"""Airflow as a stack service: every DAG imports, the three components are healthy, and the
lake_batch DAG has the steps issue #6 asks for, in order. (Runs of lake_batch against the real
stack: tests/integration/test_lambda.py.)"""
from __future__ import annotations

import pytest

from lake import airflow_env
from lake.runtime import probes
from lake.stack import services

pytestmark = pytest.mark.integration

BATCH_ORDER = ["collect_x", "comply", "plan", "bronze", "silver", "gold", "quality_gates", "compact", "analyze",
               "advance_watermark"]


def test_every_dag_imports(lake):
    bag = airflow_env.dagbag(lake)
    assert bag["errors"] == {}, bag["errors"]
    assert set(bag["tasks"]) == {"lake_batch", "lake_maintenance"}
    assert sorted(BATCH_ORDER) == bag["tasks"]["lake_batch"]
    assert bag["tasks"]["lake_maintenance"] == ["closed_speed_days", "compact_speed", "expire_speed"]


def test_airflow_components_are_healthy_and_on_loopback(lake):
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        svc = services.by_name(lake, name)
        assert svc.daemon.pid() is not None, f"{name} is not running (make up starts it)"
        probes.wait_for(svc.probe, 120, name)
    assert probes.port_open("127.0.0.1", lake.ports["airflow"])
    from lake.runtime import process

    owner = process.listener_pid(lake.ports["airflow"])
    assert owner is not None
    import subprocess

    listen = subprocess.run(["ss", "-ltnH", f"sport = :{lake.ports['airflow']}"], capture_output=True, text=True)
    assert listen.stdout.strip() and all("127.0.0.1:" in ln for ln in listen.stdout.strip().splitlines())


def test_lake_batch_runs_its_steps_in_order(lake):
    code = """
import json, os
from airflow.models.dagbag import DagBag
dag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], include_examples=False).dags["lake_batch"]
order, seen = [], set()
def walk(t):
    if t.task_id in seen: return
    seen.add(t.task_id); order.append(t.task_id)
    for d in sorted(t.downstream_list, key=lambda x: x.task_id): walk(d)
walk(dag.get_task("collect_x"))
print("ORDER " + json.dumps(order))
print("RETRIES " + json.dumps({t.task_id: t.retries for t in dag.tasks}))
print("TIMETABLE " + type(dag.timetable).__name__)
m = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], include_examples=False).dags["lake_maintenance"]
print("SCHEDULE " + json.dumps({"batch": dag.timetable.summary, "catchup": dag.catchup,
                                "maintenance": type(m.timetable).__name__,
                                "maintenance_on": [a.uri for a in dag.get_task("advance_watermark").outlets]}))
"""
    import subprocess

    r = subprocess.run([str(airflow_env.python_bin(lake)), "-c", code], env=airflow_env.environment(lake),
                       capture_output=True, text=True, timeout=300)
    lines = dict(ln.split(" ", 1) for ln in r.stdout.splitlines() if ln.split(" ", 1)[0] in
                 ("ORDER", "RETRIES", "TIMETABLE", "SCHEDULE"))
    import json

    assert json.loads(lines["ORDER"]) == BATCH_ORDER, r.stderr[-2000:]
    retries = json.loads(lines["RETRIES"])
    assert retries["bronze"] == retries["silver"] == retries["gold"] == 2 and retries["quality_gates"] == 0
    assert lines["TIMETABLE"].strip() == "CronDataIntervalTimetable"
    # hourly, no catch-up storm (a run's plan takes whatever earlier hours left pending); maintenance
    # runs after each batch run, on the asset lake_batch's last task updates
    sched = json.loads(lines["SCHEDULE"])
    assert sched["batch"] == "0 * * * *" and sched["catchup"] is False
    assert sched["maintenance"] == "AssetTriggeredTimetable" and sched["maintenance_on"] == ["lake://lake/batch_watermarks"]


def test_status_says_how_to_log_in_and_how_each_dag_runs(lake):
    api = services.by_name(lake, "airflow-apiserver")
    login = api.login()
    assert "http://127.0.0.1:8090/" in login and "user admin" in login and "airflow-ui-passwords.json" in login
    lines = api.status_lines()
    import json

    password = json.loads(airflow_env.ui_password_file(lake).read_text())["admin"]
    assert password not in "\n".join([login, *lines])  # where the password is, never the password
    table = {ln.split()[0]: ln.split() for ln in lines}
    assert table["DAG"][:3] == ["DAG", "PAUSED", "SCHEDULE"]
    assert table["lake_batch"][1] in ("yes", "no") and table["lake_batch"][2:7] == ["0", "*", "*", "*", "*"]
    assert table["lake_maintenance"][1] in ("yes", "no") and table["lake_maintenance"][2] == "Asset"
