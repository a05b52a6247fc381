"""A private Mosquitto for tests: the stack's own config file (hadoop-cluster/etc/mosquitto) and
service class, rendered for a temporary var/ directory and a free port, so a test may stop, kill
and restart its broker without touching the stack's."""
from __future__ import annotations

import socket
import time
from pathlib import Path

from lake import settings
from lake.runtime import config
from lake.settings import Settings
from lake.stack.mosquitto import Mosquitto


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateBroker:
    def __init__(self, var: Path, port: int | None = None):
        self.s: Settings = settings.load({"LAKE_VAR_DIR": str(var), "LAKE_PORT_MQTT": str(port or free_port()),
                                          "PATH": __import__("os").environ.get("PATH", "")})
        self.svc = Mosquitto(self.s)

    @property
    def port(self) -> int:
        return self.s.ports["mqtt"]

    @property
    def log(self) -> Path:
        return self.svc.log_file

    def start(self, timeout: float = 20) -> "PrivateBroker":
        config.render_all(self.s)
        for d in (self.s.data_dir, self.s.log_dir, self.s.run_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.svc.prepare()
        self.svc.daemon.start(self.svc.argv(), self.svc.env())
        deadline = time.monotonic() + timeout
        while not (result := self.svc.probe()):
            if time.monotonic() > deadline or self.svc.daemon.pid() is None:
                raise TimeoutError(f"private mosquitto on :{self.port} not ready ({result.detail}); see {self.log}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistence database on the way out."""
        self.svc.daemon.stop(timeout=20)

    def restart(self) -> None:
        self.stop()
        self.start()
