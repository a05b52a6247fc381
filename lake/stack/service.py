"""What every service of the stack is: how it is prepared once, launched, probed for readiness and
described in `make status`. The lifecycle (lake/stack/lifecycle.py) knows nothing of any particular daemon."""
from __future__ import annotations

import os
from pathlib import Path

from lake.cluster import WORKER_ROLES
from lake.runtime import jvm, probes
from lake.runtime.probes import ProbeResult
from lake.runtime.process import Daemon, marker
from lake.settings import Settings


class Service:
    name: str = ""
    port_keys: tuple[str, ...] = ()       # settings.ports keys this service binds
    web_port_key: str | None = None
    web_path: str = "/"
    start_timeout: float = 120.0
    heap_key: str | None = None
    log_to_stdout = False  # the daemon logs to stdout/stderr, which the launcher captures in <name>.out

    def __init__(self, s: Settings):
        self.s = s
        self.daemon = Daemon(self.name, s.run_dir, self.log_file)

    # ---- description ----
    @property
    def log_file(self) -> Path:
        return self.s.log_file(self.name, stdout=self.log_to_stdout)

    @property
    def ports(self) -> list[int]:
        return [self.s.ports[k] for k in self.port_keys]

    @property
    def address(self) -> str:
        """Where this service answers: the host that runs it (the coordinator's address, or this host's for a
        worker role of the cluster description)."""
        return self.s.node_host if self.name in WORKER_ROLES else self.s.host

    @property
    def web_url(self) -> str | None:
        if not self.web_port_key:
            return None
        return f"http://{self.address}:{self.s.ports[self.web_port_key]}{self.web_path}"

    # ---- lifecycle hooks ----
    def prepare(self) -> None:
        """One-time initialisation (format, schema). Must never destroy data."""

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["JAVA_HOME"] = str(jvm.java17_home())
        env["HADOOP_CONF_DIR"] = str(self.s.hadoop_conf_dir)
        return env

    def run_as(self) -> str | None:
        return None

    def cwd(self) -> Path | None:
        return None

    def probe(self) -> ProbeResult:
        return probes.port_open(self.s.host, self.ports[0])

    def after_start(self) -> None:
        """Runs once the probe passes, every `up` (must be idempotent)."""

    def status_lines(self) -> list[str]:
        """What `make status` prints under the table for this service when it is healthy (its schedules,
        its metrics); one line each."""
        return []

    def login(self) -> str | None:
        """How a person logs in to the web UI, for `make status` (None: no login)."""
        return None

    # ---- helpers for JVM daemons ----
    def java_argv(self, main: str, classpath: str, args: list[str] = (), opts: list[str] = (),
                  java: Path | None = None) -> list[str]:
        heap = self.s.heaps_mb[self.heap_key or self.name]
        java = java or jvm.java17_home() / "bin" / "java"
        return [str(java), f"-D{marker(self.name)}", f"-Xmx{heap}m", f"-Xms{min(heap, 256)}m",
                "-XX:+UseG1GC", "-Djava.net.preferIPv4Stack=true", *jvm.ADD_OPENS, *opts,
                "-cp", classpath, main, *args]


class PythonDaemon(Service):
    """A lake daemon written in Python (the raw sink, the MQTT bridge): run with the lake's interpreter
    from the repo, logging to stdout, reporting through a JSON status file its probe reads."""

    port_keys = ()
    log_to_stdout = True

    @property
    def status_file(self) -> Path:
        return self.s.status_file(self.name)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = f"{self.s.root}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def cwd(self) -> Path | None:
        return self.s.root
