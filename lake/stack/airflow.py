"""Airflow 3 as services of the stack: api-server, scheduler and dag-processor (their virtualenv and
environment: lake/airflow_env.py)."""
from __future__ import annotations

from pathlib import Path

from lake.errors import LakeError
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.stack.postgres import Postgres
from lake.stack.service import Service


class AirflowService(Service):
    """Airflow 3 components, each its own process from the Airflow virtualenv (.venv-airflow,
    docs/airflow.md); metadata in the stack's PostgreSQL, database `airflow`."""

    component = ""
    start_timeout = 180
    log_to_stdout = True

    def argv(self) -> list[str]:
        from lake import airflow_env

        airflow_env.airflow_bin(self.s)  # a clear error when Airflow is not installed
        # -X carries the lake's marker (Python ignores unknown -X options) in the command line of a
        # small parent process: Airflow retitles its own processes (lake/stack/airflow_launch.py).
        return [str(airflow_env.python_bin(self.s)), "-X", marker(self.name), "-m", "lake.stack.airflow_launch",
                self.component, *self.extra_args()]

    def extra_args(self) -> list[str]:
        return []

    def env(self) -> dict[str, str]:
        from lake import airflow_env

        return airflow_env.environment(self.s)

    def cwd(self) -> Path | None:
        return self.s.root

    def probe(self) -> ProbeResult:
        from lake import airflow_env

        return airflow_env.probe_component(self.s, self.component)


class AirflowApiServer(AirflowService):
    name = "airflow-apiserver"
    component = "api-server"
    port_keys = ("airflow",)
    web_port_key = "airflow"
    start_timeout = 300

    def prepare(self) -> None:
        """The airflow role and database in the stack's PostgreSQL, then `airflow db migrate` (idempotent)."""
        from lake import airflow_env, secrets

        pg = Postgres(self.s)
        if not pg.probe():
            raise LakeError("airflow: PostgreSQL is not running; `make up` starts it first")
        pg.ensure_database(airflow_env.DB_ROLE, airflow_env.DB_NAME, secrets.airflow_db_password(self.s))
        airflow_env.home(self.s).mkdir(parents=True, exist_ok=True)
        (self.s.log_dir / "airflow").mkdir(parents=True, exist_ok=True)
        airflow_env.run(self.s, ["db", "migrate"], timeout=900)

    def extra_args(self) -> list[str]:
        return ["--host", self.s.bind_host, "--port", str(self.s.ports["airflow"]), "--workers", "1"]

    def status_lines(self) -> list[str]:
        """The UI login, then each lake DAG: paused or not, last run (state, when, how long), next run."""
        from lake import airflow_env

        lines = [f"login: {airflow_env.ui_login(self.s)}"]
        try:
            rows = airflow_env.dag_summaries(self.s)
        except LakeError as e:
            return lines + [f"DAGs: unknown ({e})"]
        header = {"dag": "DAG", "paused": "PAUSED", "schedule": "SCHEDULE", "last": "LAST RUN", "next": "NEXT RUN"}
        table = [header] + rows
        widths = {k: max(len(str(r[k])) for r in table) for k in header}
        lines += ["  ".join(str(r[k]).ljust(widths[k]) for k in header).rstrip() for r in table]
        return lines


class AirflowScheduler(AirflowService):
    name = "airflow-scheduler"
    component = "scheduler"

    def extra_args(self) -> list[str]:
        # No worker log server: its host is hard-coded to every interface (airflow.utils.serve_logs),
        # and it is not needed here: tasks run on this host and the api-server reads their log files.
        return ["--skip-serve-logs"]


class AirflowDagProcessor(AirflowService):
    name = "airflow-dag-processor"
    component = "dag-processor"

    def after_start(self) -> None:
        """The batch layer on its schedule from the first `make up` (SCHEDULE=off pauses it, keep leaves it)."""
        from lake import airflow_env

        print(f"  {'':<16} {airflow_env.apply_schedule(self.s)}", flush=True)
