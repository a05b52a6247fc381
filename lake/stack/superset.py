"""Superset as a service of the stack: gunicorn serving Superset from .venv-superset, metadata in the
stack's PostgreSQL (database `superset`), the dashboards in superset/bundle imported on every `up`
(lake/superset_env.py; docs/dashboards.md)."""
from __future__ import annotations

from pathlib import Path

from lake.errors import LakeError
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.stack.postgres import Postgres
from lake.stack.service import Service


class Superset(Service):
    name = "superset"
    port_keys = ("superset",)
    web_port_key = "superset"
    web_path = "/superset/dashboard/brand-monitor/"
    start_timeout = 240
    log_to_stdout = True

    def prepare(self) -> None:
        """The superset role and database, migrations, roles and the two logins (all idempotent)."""
        from lake import secrets, superset_env

        superset_env.superset_bin(self.s)  # a clear error when Superset is not installed
        pg = Postgres(self.s)
        if not pg.probe():
            raise LakeError("superset: PostgreSQL is not running; `make up` starts it first")
        pg.ensure_database(superset_env.DB_ROLE, superset_env.DB_NAME, secrets.superset_secret(self.s, "db-password"))
        superset_env.bootstrap(self.s)

    def argv(self) -> list[str]:
        from lake import superset_env

        # One worker, eight threads: the dashboard's charts query Trino in parallel while the worker
        # stays one process (~300 MiB). -X carries the lake's marker (Python ignores unknown -X options).
        return [str(superset_env.python_bin(self.s)), "-X", marker(self.name), "-m", "gunicorn",
                "--bind", f"{self.s.bind_host}:{self.s.ports['superset']}", "--workers", "1",
                "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
                "--limit-request-line", "0", "--limit-request-field_size", "0",
                # no control socket: its default path (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn
                "--no-control-socket",
                "superset.app:create_app()"]

    def env(self) -> dict[str, str]:
        from lake import superset_env

        return superset_env.environment(self.s)

    def cwd(self) -> Path | None:
        from lake import superset_env

        return superset_env.home(self.s)

    def probe(self) -> ProbeResult:
        from lake import superset_env

        return superset_env.probe(self.s)

    def after_start(self) -> None:
        from lake import superset_env

        superset_env.import_dashboards(self.s)

    def login(self) -> str | None:
        from lake import superset_env

        return superset_env.login_hint(self.s)
