"""Airflow for the lake: its virtualenv, environment, metadata database and readiness probes.

Airflow 3 runs from its own virtualenv (.venv-airflow, built by `make airflow-install` from the
[airflow] pins in versions.toml): its dependency pins (SQLAlchemy, FastAPI, pydantic, ...) are
not the project's, and PyPI is the only source, so no constraints file is fetched at run time.
All configuration is environment variables set here (AIRFLOW__SECTION__KEY), so nothing under
AIRFLOW_HOME needs editing and the DAG folder is the repo's airflow/dags. See docs/airflow.md.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lake.runtime import probes, venvs
from lake.errors import LakeError, report
from lake.runtime.probes import ProbeResult
from lake.settings import Settings

DB_NAME = DB_ROLE = "airflow"


def venv(s: Settings) -> Path:
    return Path(os.environ.get("LAKE_AIRFLOW_VENV", s.root / ".venv-airflow"))


def python_bin(s: Settings) -> Path:
    return venv(s) / "bin" / "python"


def airflow_bin(s: Settings) -> Path:
    path = venv(s) / "bin" / "airflow"
    if not path.exists():
        raise LakeError(f"Airflow is not installed in {venv(s)}: run `make airflow-install` (or `make install`)")
    return path


def home(s: Settings) -> Path:
    return s.var / "airflow"


def requirements() -> list[str]:
    """Exact pins of the Airflow virtualenv (versions.toml [airflow.packages])."""
    return venvs.pins("airflow")


def _lake_venv_site(s: Settings) -> Path:
    """pyspark's folder inside the project's .venv, found without importing pyspark here."""
    hits = sorted((s.root / ".venv" / "lib").glob("python3*/site-packages/pyspark"))
    if not hits:
        raise LakeError(f"pyspark not found under {s.root / '.venv'}: run `make install`")
    return hits[0]


def spark_env(s: Settings) -> dict[str, str]:
    """What tasks need to run spark-submit (the Spark provider) and the lake's CLI: the same
    environment lake/runtime/spark.py submit_env gives, computed without pyspark in this interpreter."""
    from lake.runtime import jvm

    spark_home = _lake_venv_site(s)
    lake_python = s.root / ".venv" / "bin" / "python"
    return {
        "JAVA_HOME": str(jvm.java17_home()),
        "HADOOP_CONF_DIR": str(s.hadoop_conf_dir),
        "YARN_CONF_DIR": str(s.hadoop_conf_dir),
        "SPARK_CONF_DIR": str(s.conf_dir / "spark"),
        "SPARK_HOME": str(spark_home),
        "PYSPARK_PYTHON": str(lake_python),
        "PYSPARK_DRIVER_PYTHON": str(lake_python),
        "HADOOP_USER_NAME": s.user,
        "LAKE_PYTHON": str(lake_python),
        "LAKE_ROOT": str(s.root),
    }


TRINO_USER = "airflow"


def connections(s: Settings) -> dict[str, str]:
    """Airflow connections as AIRFLOW_CONN_* variables (nothing stored in the metadata DB)."""
    import json

    from lake import secrets

    return {
        "AIRFLOW_CONN_LAKE_SPARK": json.dumps({"conn_type": "spark", "host": "yarn",
                                               "extra": {"deploy-mode": "client"}}),
        # The DAGs' own statements (serving watermark, speed expiry, ANALYZE, gate read-back) run as the
        # `airflow` login (trino/etc/rules.json); the lake commands its tasks start log in as `lake`.
        "AIRFLOW_CONN_LAKE_TRINO": json.dumps({"conn_type": "trino", "host": s.host, "port": s.ports["trino"],
                                               "login": TRINO_USER, "password": secrets.trino_password(s, TRINO_USER),
                                               "schema": "default",
                                               "extra": {"catalog": "hive", "protocol": "https",
                                                         "verify": str(s.trino_ca_file)}}),
        "AIRFLOW_CONN_LAKE_WEBHDFS": json.dumps({"conn_type": "webhdfs", "host": s.host,
                                                 "port": s.ports["namenode_http"], "login": s.user}),
    }


def sql_alchemy_conn(s: Settings) -> str:
    from urllib.parse import quote

    from lake import secrets

    pw = quote(secrets.airflow_db_password(s), safe="")
    return f"postgresql+psycopg2://{DB_ROLE}:{pw}@{s.host}:{s.ports['postgres']}/{DB_NAME}"


def environment(s: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    from lake import secrets

    env = dict(os.environ if base is None else base)
    env.pop("PYTHONHOME", None)
    # They would override the Trino connection's verify= (docs/security.md).
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    af_home = home(s)
    url = f"http://{s.host}:{s.ports['airflow']}"
    env.update({
        "AIRFLOW_HOME": str(af_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(s.root / "airflow" / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(af_home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # 2 cores: two task slots; Spark jobs queue in YARN anyway
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
        # `make up` leaves the batch layer on its schedule (LAKE_AIRFLOW_SCHEDULE=on, the default); off/keep:
        # new DAGs wait paused (benchmarks, the test suite: only a test's own DAGs run)
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False" if s.airflow_schedule == "on" else "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__CORE__FERNET_KEY": _fernet_key(s),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(s.secrets_dir / "airflow-ui-passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn(s),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
        "AIRFLOW__API__HOST": s.bind_host,
        "AIRFLOW__API__PORT": str(s.ports["airflow"]),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__SECRET_KEY": secrets.airflow_secret(s, "api-secret-key"),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.airflow_secret(s, "jwt-secret"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(s.log_dir / "airflow"),
        "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(s.log_dir / "airflow" / "dag_processor"),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
        # the DAG files import lake.* (stdlib-only parts) and their helper package lake_dags
        "PYTHONPATH": os.pathsep.join([str(s.root), str(s.root / "airflow" / "dags")]),
        "PATH": os.pathsep.join([str(venv(s) / "bin"), str(s.root / ".venv" / "bin"), env.get("PATH", "")]),
        "LAKE_AIRFLOW": "1",
        **spark_env(s),
        **connections(s),
    })
    return env


def _fernet_key(s: Settings) -> str:
    """A Fernet key (32 url-safe base64 bytes) kept with the lake's other secrets."""
    import base64

    from lake import secrets

    raw = secrets.airflow_secret(s, "fernet-seed")
    return base64.urlsafe_b64encode(raw.encode()[:32].ljust(32, b"0")).decode()


DAGBAG_CODE = """
import json, os
from airflow.models.dagbag import DagBag
b = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], include_examples=False)
print("DAGBAG " + json.dumps({"errors": {k: str(v)[-1500:] for k, v in b.import_errors.items()},
                              "tasks": {d: sorted(t.task_id for t in b.dags[d].tasks) for d in b.dag_ids}}))
"""


def dagbag(s: Settings) -> dict:
    """Import every DAG file the way the dag-processor does: {"errors": {file: traceback}, "tasks": {dag: [...]}}."""
    import json

    r = subprocess.run([str(python_bin(s)), "-c", DAGBAG_CODE], env=environment(s), cwd=s.root,
                       capture_output=True, text=True, timeout=300)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("DAGBAG ")), None)
    if line is None:
        raise LakeError("airflow: could not load the DAG folder", (r.stdout + r.stderr)[-3000:])
    return json.loads(line[len("DAGBAG "):])


def run(s: Settings, args: list[str], timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(airflow_bin(s)), *args], env=environment(s), cwd=s.root, capture_output=True,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise LakeError(f"airflow {' '.join(args[:3])} failed (exit {r.returncode})",
                        (r.stdout + r.stderr)[-3000:])
    return r


def probe_component(s: Settings, component: str) -> ProbeResult:
    """Each component's status as the api-server's health endpoint reports it (metadatabase for the
    api-server itself; the scheduler's and dag-processor's heartbeats otherwise)."""
    url = f"http://{s.host}:{s.ports['airflow']}/api/v2/monitor/health"
    key = "metadatabase" if component == "api-server" else component.replace("-", "_")
    return probes.http_check(url, lambda b: (b.get(key, {}).get("status") == "healthy",
                                             f"{key}={b.get(key, {}).get('status')} (api-server health)"))


def install(s: Settings) -> str:
    """Create .venv-airflow and install the pinned set when the pins changed (stamp file)."""
    return venvs.install(venv(s), requirements(), "Airflow")


# ---- the REST API (status, pause/unpause), as the UI's admin user ----------------------------------
LAKE_DAGS = ("lake_batch", "lake_maintenance")


def ui_password_file(s: Settings) -> Path:
    return s.secrets_dir / "airflow-ui-passwords.json"


def ui_login(s: Settings) -> str:
    """How a person logs in to the UI, for `make status` and the README."""
    return (f"http://{s.host}:{s.ports['airflow']}/ user admin, password in "
            f"{_shown(s, ui_password_file(s))} (its \"admin\" entry)")


def _shown(s: Settings, path: Path) -> str:
    return str(path.relative_to(s.root)) if path.is_relative_to(s.root) else str(path)


def api(s: Settings, method: str, path: str, body: dict | None = None, timeout: float = 10) -> dict:
    """One call to Airflow's REST API (/api/v2/...) with a token for the admin user."""
    import json
    import urllib.error
    import urllib.request

    base = f"http://{s.host}:{s.ports['airflow']}"

    def call(method_: str, url: str, data: dict | None, headers: dict[str, str]) -> dict:
        req = urllib.request.Request(url, method=method_, data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise LakeError(f"airflow API {method_} {url}: HTTP {e.code} {e.read()[:200]!r}") from None
        except (urllib.error.URLError, OSError) as e:
            raise LakeError(f"airflow API at {base} is not answering ({e}); `make up` starts it "
                            f"(log: {s.log_file('airflow-apiserver', stdout=True)})") from None

    try:
        password = json.loads(ui_password_file(s).read_text())["admin"]
    except (OSError, ValueError, KeyError):
        raise LakeError(f"no Airflow admin password in {ui_password_file(s)} yet: `make up` starts Airflow, "
                        f"which writes it") from None
    token = call("POST", f"{base}/auth/token", {"username": "admin", "password": password}, {})["access_token"]
    return call(method, f"{base}/api/v2/{path.lstrip('/')}", body, {"Authorization": f"Bearer {token}"})


def set_paused(s: Settings, dag_id: str, paused: bool) -> bool:
    """Pause or unpause a DAG the dag-processor has parsed; False when it is not known yet."""
    try:
        api(s, "GET", f"dags/{dag_id}")
    except LakeError as e:
        if "HTTP 404" in str(e):
            return False
        raise
    api(s, "PATCH", f"dags/{dag_id}?update_mask=is_paused", {"is_paused": paused})
    return True


def apply_schedule(s: Settings, dag_ids=LAKE_DAGS) -> str:
    """What `make up` does to the lake's DAGs (settings.airflow_schedule): on = unpaused, off = paused."""
    if s.airflow_schedule == "keep":
        return "DAG schedules left as they are (SCHEDULE=keep)"
    paused = s.airflow_schedule == "off"
    done = [d for d in dag_ids if set_paused(s, d, paused)]
    word = "paused" if paused else "on schedule"
    later = "" if len(done) == len(dag_ids) else " (the others are created so when first parsed)"
    return f"DAGs {word}: {', '.join(done) or '-'}{later}"


def dag_runs(s: Settings, dag_id: str, limit: int = 10) -> list[dict]:
    """The newest runs of a DAG, newest first (REST API fields: dag_run_id, run_type, state, conf, ...)."""
    return api(s, "GET", f"dags/{dag_id}/dagRuns?order_by=-run_after&limit={limit}").get("dag_runs", [])


def xcom(s: Settings, dag_id: str, run_id: str, task_id: str):
    """A task's return value in one run (deserialised JSON as the API gives it)."""
    from urllib.parse import quote

    return api(s, "GET", f"dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/"
                         f"xcomEntries/return_value?deserialize=true").get("value")


def _when(ts: str | None) -> str:
    return ts[:16].replace("T", " ") + " UTC" if ts else "-"


def dag_summaries(s: Settings, dag_ids=LAKE_DAGS) -> list[dict]:
    """Per DAG: paused, schedule, last run (state, when, how long) and next run, from the REST API."""
    from datetime import datetime

    out = []
    for dag_id in dag_ids:
        try:
            dag = api(s, "GET", f"dags/{dag_id}")
        except LakeError as e:
            if "HTTP 404" in str(e):
                out.append({"dag": dag_id, "paused": "-", "schedule": "-", "last": "not parsed yet", "next": "-"})
                continue
            raise
        runs = dag_runs(s, dag_id, limit=1)
        last = "never"
        if runs:
            r = runs[0]
            took = ""
            if r.get("start_date") and r.get("end_date"):
                ts = lambda k: datetime.fromisoformat(r[k].replace("Z", "+00:00"))  # noqa: E731
                # `airflow dags test` records its logical date as the start: the run began after run_after
                began = max(ts("start_date"), ts("run_after")) if r.get("run_after") else ts("start_date")
                secs = (ts("end_date") - began).total_seconds()
                took = f" in {secs:.0f}s" if secs >= 0 else ""
            last = f"{r['state']} {_when(r.get('run_after'))}{took} ({r.get('run_type')})"
        summary = dag.get("timetable_summary") or "-"
        nxt = _when(dag.get("next_dagrun_run_after"))
        if summary.lower().startswith("asset"):
            nxt = "after lake_batch" if nxt == "-" else nxt
        out.append({"dag": dag_id, "paused": "yes" if dag.get("is_paused") else "no", "schedule": summary,
                    "last": last, "next": "- (paused)" if dag.get("is_paused") else nxt})
    return out


def dags_test(s: Settings, dag_id: str, logical_date: str, extra_env: dict[str, str] | None = None,
              timeout: float = 3600, conf: dict | None = None) -> subprocess.CompletedProcess:
    """`airflow dags test <dag> <logical date>`: one run in-process, against the real stack.
    A daily run with logical date D+1 covers the interval [D, D+1): ingest date D (docs/airflow.md)."""
    env = environment(s)
    env.update(extra_env or {})
    import json

    argv = [str(airflow_bin(s)), "dags", "test", dag_id, logical_date]
    if conf:
        argv += ["-c", json.dumps(conf)]
    return subprocess.run(argv, env=env, cwd=s.root, capture_output=True, text=True, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    from datetime import date, timedelta

    from lake import arguments

    ap = arguments.Parser(prog="python -m lake.airflow_env", description="Airflow for the lake",
                          variables={"--date": "DATE"})
    sub = ap.add_subparsers(dest="verb", required=True)
    sub.add_parser("install", help="create .venv-airflow from versions.toml [airflow.packages] (if pins changed)")
    sub.add_parser("check-dags", help="import every DAG file; exit 1 on an import error")
    run_ = sub.add_parser("run-batch", help="run lake_batch once for an ingest date (airflow dags test)")
    run_.add_argument("--date", required=True, help="ingest date YYYY-MM-DD")
    args = ap.parse_args(argv)
    from lake import settings

    s = settings.get()
    try:
        if args.verb == "install":
            print(f"  {'airflow-venv':<16} {install(s)}")
        elif args.verb == "check-dags":
            bag = dagbag(s)
            for f, err in bag["errors"].items():
                print(f"{f}: {err.strip().splitlines()[-1]}", file=sys.stderr)
            print(f"{len(bag['tasks'])} DAG(s): " + ", ".join(f"{d} ({len(t)} tasks)" for d, t in bag["tasks"].items()))
            return 1 if bag["errors"] else 0
        else:
            day = date.fromisoformat(arguments.iso_date(args.date, "DATE"))
            print(f"== airflow dags test lake_batch {day + timedelta(days=1)} (interval [{day}, {day + timedelta(days=1)}))",
                  flush=True)
            r = dags_test(s, "lake_batch", (day + timedelta(days=1)).isoformat())
            states = [ln for ln in (r.stdout + r.stderr).splitlines() if "Marking task as" in ln or "state=" in ln]
            print("\n".join(states[-12:]))
            if r.returncode != 0:
                raise LakeError(f"lake_batch for {day} failed (exit {r.returncode})", (r.stdout + r.stderr)[-3000:])
            print(f"lake_batch for ingest date {day}: success")
    except (LakeError, ValueError) as e:
        return report("lake.airflow_env", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
