"""What the lake's DAGs share: paths, the lake CLI as a task, Trino through the provider's hook.

Airflow runs from its own virtualenv; the lake's code (pyspark, the build) runs from the project's
.venv. So the DAGs call the lake through its command line (LAKE_PYTHON -m ...), and import only the
stdlib-only parts of the `lake` package (settings, SQL rendering) themselves. The environment
(LAKE_PYTHON, LAKE_ROOT, Spark's variables, AIRFLOW_CONN_LAKE_*) comes from lake/airflow_env.py.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

LAKE_ROOT = Path(os.environ.get("LAKE_ROOT", Path(__file__).resolve().parents[3]))
if str(LAKE_ROOT) not in sys.path:
    sys.path.insert(0, str(LAKE_ROOT))
LAKE_PYTHON = os.environ.get("LAKE_PYTHON", str(LAKE_ROOT / ".venv" / "bin" / "python"))

TRINO_CONN = "lake_trino"
SPARK_CONN = "lake_spark"
WEBHDFS_CONN = "lake_webhdfs"
# Exit status of `python -m lake build` when a quality gate failed (lake/pipeline/quality.py GateFailed):
# retrying cannot help, so the task fails at once and the run shows the gate's one-line message.
GATE_FAILED_EXIT = 6

DEFAULT_ARGS = {
    "owner": "lake",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
}

# The schema prefix lets tests run the same DAGs into their own schemas (lake build --schema-prefix).
SCHEMA_PREFIX = os.environ.get("LAKE_SCHEMA_PREFIX", "")


def sandboxes() -> list[dict]:
    """Private pipelines that asked for their own copy of the DAGs (lake/demos/sandbox.py register_dags):
    one JSON file each under $AIRFLOW_HOME/sandbox_dags, {"tag", "schema_prefix", "raw_root"}. Their DAGs,
    `lake_batch__<tag>` and `lake_maintenance__<tag>`, run the same tasks on the sandbox's schemas and raw
    root, on the same schedules, so a test can watch the scheduler (not `dags test`) run the batch layer."""
    import json

    folder = Path(os.environ.get("AIRFLOW_HOME", "/nonexistent")) / "sandbox_dags"
    found = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            spec = json.loads(f.read_text())
        except (OSError, ValueError):
            continue  # a file being written; the next parse sees it whole
        if re.fullmatch(r"\w+", str(spec.get("tag", ""))) and spec.get("schema_prefix") and spec.get("raw_root"):
            found.append(spec)
    return found


def comply_args(schema_prefix: str, raw_root: str) -> list[str]:
    """`lake comply`'s options for the schemas a run builds. The lake's own schemas: the lake's topics
    and zones (the CLI's defaults) and the given raw root. A sandbox's (it_<tag>_, lake/demos/sandbox.py):
    its own compliance topic, consumer group, reject zone and DLQ, so a test's run never consumes the
    lake's events nor touches its rejects."""
    if not schema_prefix:
        return ["--raw-root", raw_root]
    from lake.settings import COMPLY_GROUP, TOPIC_COMPLIANCE, TOPIC_DLQ

    m = re.fullmatch(r"it_(\w+)_", schema_prefix)
    tag = m[1] if m else schema_prefix.rstrip("_")
    topics = f"it.{tag}." if m else f"{tag}."
    return ["--schema-prefix", schema_prefix, "--raw-root", raw_root,
            "--rejected-root", raw_root.replace("/raw/tweets", "/raw/_rejected/tweets"),
            "--topic", topics + TOPIC_COMPLIANCE, "--group", f"{COMPLY_GROUP}-{tag}", "--dlq-topic", topics + TOPIC_DLQ]


def batch_asset(schema_prefix: str):
    """What lake_batch's last task updates and lake_maintenance is scheduled on: one per set of schemas."""
    from airflow.sdk import Asset

    return Asset(name=f"{schema_prefix}batch_watermarks", uri=f"lake://{schema_prefix or 'lake'}/batch_watermarks")


def run_type(context) -> str:
    """"scheduled", "manual" (a trigger, `dags test`), "backfill" or "asset_triggered"."""
    rt = context["dag_run"].run_type
    return getattr(rt, "value", str(rt))


def lake_json(args: list[str], tag: str):
    """Runs `LAKE_PYTHON -m <args>` and returns the JSON after its last `<tag> ` line."""
    import json

    out = run_lake(args, last_with=f"{tag} ")
    return json.loads(out[len(tag) + 1:])


def ingest_date(context) -> str:
    """The logical partition: the raw ingest date the run's data interval starts on (never today)."""
    return context["data_interval_start"].strftime("%Y-%m-%d")


def run_lake(args: list[str], timeout: float = 7200, last_with: str = "") -> str:
    """`LAKE_PYTHON -m <args>` in the repo; its output goes to the task log. A gate failure fails the
    task without retries (AirflowFailException); any other failure is retried with back-off."""
    from airflow.exceptions import AirflowException, AirflowFailException

    print("$ " + " ".join([LAKE_PYTHON, "-m", *args]), flush=True)
    proc = subprocess.Popen([LAKE_PYTHON, "-m", *args], cwd=LAKE_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip())
    rc = proc.wait(timeout=timeout)
    last = next((ln for ln in reversed(lines) if ln.strip()), "")
    if rc == GATE_FAILED_EXIT:
        raise AirflowFailException(f"quality gate failed: {last}")
    if rc != 0:
        raise AirflowException(f"`python -m {' '.join(args)}` exited {rc}: {last}")
    return next((ln for ln in reversed(lines) if ln.strip() and ln.startswith(last_with)), "")


def trino_run(sql: str):
    """One Trino statement through the Trino provider's hook; rows for queries."""
    from airflow.providers.trino.hooks.trino import TrinoHook

    hook = TrinoHook(trino_conn_id=TRINO_CONN)
    first = sql.lstrip().split(None, 1)[0].upper()
    if first in ("SELECT", "WITH", "SHOW", "DESCRIBE"):
        return hook.get_records(sql)
    hook.run(sql)
    return []


def settings():
    from lake import settings as settings_mod

    return settings_mod.get()


# `lake build`'s last line (lake/pipeline/build.py): "== build <run id> done in ...". The run id is
# lake/pipeline/quality.py new_run_id(): a UTC stamp and a random suffix, carried by every gate the build records.
_BUILD_DONE = re.compile(r"== build (\d{8}T\d{6}Z-[0-9a-f]+) done")


def build_gates_filter(summaries) -> str:
    """The WHERE clause on ops.quality_checks that selects the gates of the builds whose summary
    lines are given (the layer tasks' return values, from XCom); "false" when none is.

    By the builds' own run ids, not by a time window from the run's start: `airflow dags test` gives a
    run its logical date as start date, which for today's interval (the demo) is tomorrow, so a window
    found no gates; and a window would also take the gates of anything else built meanwhile."""
    ids = sorted({m.group(1) for line in (summaries or ()) if isinstance(line, str)
                  for m in [_BUILD_DONE.search(line)] if m})
    if not ids:
        return "false"
    day = ids[0][:8]  # the earliest build's UTC date: no gate of these builds was recorded before it
    quoted = ", ".join(f"'{i}'" for i in ids)  # safe: the pattern allows digits, letters T, Z and '-'
    return f"check_date >= DATE '{day[:4]}-{day[4:6]}-{day[6:]}' AND run_id IN ({quoted})"
