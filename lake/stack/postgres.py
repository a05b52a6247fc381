"""PostgreSQL: the private cluster under var/ that holds the metastore's and Airflow's databases."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lake import versions
from lake.errors import LakeError
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.stack.service import Service


class Postgres(Service):
    """A private PostgreSQL cluster under var/, the metastore's (and Airflow's) database."""

    name = "postgres"
    port_keys = ("postgres",)
    start_timeout = 60
    log_to_stdout = True

    @property
    def bindir(self) -> Path:
        major = versions.load()["debian"]["postgresql"]
        path = Path(os.environ.get("LAKE_PG_BINDIR", f"/usr/lib/postgresql/{major}/bin"))
        if not (path / "postgres").exists():
            raise LakeError(f"PostgreSQL {major} not found in {path}: run `make install` as root "
                            f"(installs Debian's postgresql-{major}) or set LAKE_PG_BINDIR")
        return path

    @property
    def data(self) -> Path:
        return self.s.data_dir / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.s.run_dir / "postgres"

    def run_as(self) -> str | None:
        # postgres refuses to run as root; Debian's package creates a `postgres` user.
        return "postgres" if os.geteuid() == 0 else None

    def _chown(self, path: Path) -> None:
        user = self.run_as()
        if user:
            shutil.chown(path, user, user)

    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(argv, user=self.run_as(), capture_output=True, text=True, **kw)

    def prepare(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.socket_dir)
        if (self.data / "PG_VERSION").exists():
            return
        self.data.mkdir(parents=True, exist_ok=True)
        self._chown(self.data)
        r = self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                       "--locale=C.UTF-8"])
        if r.returncode != 0:
            raise LakeError(f"postgres: initdb failed in {self.data}", r.stdout + r.stderr)

    def argv(self) -> list[str]:
        # The marker rides in application_name's GUC so `is_ours` can recognise the pid.
        return [str(self.bindir / "postgres"), "-D", str(self.data),
                "-c", f"listen_addresses={self.s.bind_host}", "-p", str(self.s.ports["postgres"]),
                "-k", str(self.socket_dir), "-c", f"cluster_name={marker(self.name)}",
                "-c", "shared_buffers=64MB", "-c", "max_connections=100"]

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}

    def psql(self, sql: str, db: str = "postgres") -> str:
        # SQL goes through stdin so a password in it never shows in the process list.
        r = self._run([str(self.bindir / "psql"), "-h", str(self.socket_dir), "-p", str(self.s.ports["postgres"]),
                       "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-tA", "-f", "-"], input=sql, timeout=60)
        if r.returncode != 0:
            raise LakeError(f"postgres: `{sql[:60]}` failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def probe(self) -> ProbeResult:
        r = self._run([str(self.bindir / "pg_isready"), "-h", str(self.socket_dir),
                       "-p", str(self.s.ports["postgres"])], timeout=10)
        return ProbeResult(r.returncode == 0, (r.stdout or r.stderr).strip())

    def ensure_database(self, role: str, db: str, password: str) -> None:
        """Create (or re-password) a role and its database; idempotent."""
        pw = password.replace("'", "''")
        if self.psql(f"SELECT 1 FROM pg_roles WHERE rolname='{role}'") != "1":
            self.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{pw}'")
        else:
            self.psql(f"ALTER ROLE {role} PASSWORD '{pw}'")
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'") != "1":
            self.psql(f"CREATE DATABASE {db} OWNER {role}")

    def after_start(self) -> None:
        from lake import secrets

        self.ensure_database("hive", "metastore", secrets.metastore_db_password(self.s))
