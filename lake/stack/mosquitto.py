"""The MQTT path as services of the stack: Mosquitto, the broker (Debian's package, config in
hadoop-cluster/etc/mosquitto/), and the bridge that carries its tweets/# into Kafka
(ingestion/mqtt_bridge). docs/ingestion.md "MQTT" draws the path."""
from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

from lake.errors import LakeError
from lake.runtime import probes
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake import settings as lake_settings
from lake.settings import MOSQUITTO, MQTT_BRIDGE, Settings
from lake.stack.service import PythonDaemon, Service

BROKER_BINARY = "/usr/sbin/mosquitto"


class Mosquitto(Service):
    """MQTT broker on 127.0.0.1:1883 with persistence under var/data/mosquitto/."""

    name = MOSQUITTO
    port_keys = ("mqtt",)
    start_timeout = 30
    log_to_stdout = True

    @property
    def conf(self) -> Path:
        return self.s.conf_dir / "mosquitto" / "mosquitto.conf"

    @property
    def marked_conf(self) -> Path:
        # mosquitto takes no argument the launcher could mark its command line with, so it reads its
        # config through a link whose name carries the marker (lake/runtime/process.py is_ours).
        return self.s.run_dir / f"{marker(self.name)}.conf"

    def prepare(self) -> None:
        if not Path(BROKER_BINARY).exists():
            raise LakeError(f"mosquitto is not installed ({BROKER_BINARY} missing); run `make install` "
                            f"(Debian package mosquitto)")
        persistence = self.s.data_dir / "mosquitto"
        persistence.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and self.s.user != "root":
            shutil.chown(persistence, self.s.user)
        self.marked_conf.unlink(missing_ok=True)
        self.marked_conf.symlink_to(self.conf)

    def argv(self) -> list[str]:
        # stdbuf: mosquitto logs to stdout through stdio, block-buffered into a file otherwise, so
        # the log would lag by kilobytes exactly when someone reads it to see what went wrong.
        return ["stdbuf", "-oL", BROKER_BINARY, "-c", str(self.marked_conf)]

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}

    def probe(self) -> ProbeResult:
        port = probes.port_open(self.s.host, self.s.ports["mqtt"])
        if not port:
            return port
        return mqtt_connect_probe(self.s.host, self.s.ports["mqtt"])


class MqttBridge(PythonDaemon):
    """MQTT tweets/# -> Kafka tweets.raw, acknowledging each message only once Kafka has it."""

    name = MQTT_BRIDGE
    start_timeout = 60

    def argv(self) -> list[str]:
        # LAKE_MQTT_KAFKA_PREFIX: a test's own Kafka topic pair (tests/integration/test_mqtt.py).
        return [sys.executable, "-m", "ingestion.mqtt_bridge", "--tag", marker(self.name),
                "--status-file", str(self.status_file),
                "--kafka-prefix", os.environ.get("LAKE_MQTT_KAFKA_PREFIX", "")]

    def probe(self) -> ProbeResult:
        from ingestion.mqtt_bridge import status

        return status.probe(self.status_file, pid=self.daemon.pid())

    def status_lines(self) -> list[str]:
        from ingestion.mqtt_bridge import status

        st = status.read(self.status_file)
        if not st:
            return []
        when = "" if self.daemon.pid() else " (last status before it stopped)"
        return [f"{self.name}: {status.summary(st)}{when}"]


def mqtt_connect_probe(host: str, port: int, timeout: float = 5) -> ProbeResult:
    """Ready means the broker answers an MQTT CONNECT, not only that its port is open."""
    import threading

    from ingestion.sources import mqtt

    client, kw = mqtt.new_client("", persistent=False)
    answered = threading.Event()
    result: list[str] = []

    def on_connect(c, userdata, flags, reason_code, properties):
        result.append(str(reason_code))
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(host, port, **kw)
        client.loop_start()
        answered.wait(timeout)
    except OSError as e:
        return ProbeResult(False, f"MQTT connect failed ({e})")
    finally:
        client.disconnect()
        client.loop_stop()
    if not result:
        return ProbeResult(False, f"no CONNACK within {timeout:.0f}s")
    return ProbeResult(result[0] == "Success", f"CONNACK {result[0]}")


class PrivateBroker:
    """The stack's broker (this config file, this service class) in a var/ directory and on a port of
    its own: for the tests and the MQTT benchmark, which stop, kill and restart it at will."""

    def __init__(self, var: Path, port: int | None = None):
        self.s: Settings = lake_settings.load({"LAKE_VAR_DIR": str(var), "LAKE_PORT_MQTT": str(port or free_port()),
                                               "PATH": os.environ.get("PATH", "")})
        self.svc = Mosquitto(self.s)

    @property
    def port(self) -> int:
        return self.s.ports["mqtt"]

    @property
    def log(self) -> Path:
        return self.svc.log_file

    def start(self, timeout: float = 20) -> "PrivateBroker":
        from lake.runtime import config

        config.render_all(self.s)
        for d in (self.s.data_dir, self.s.log_dir, self.s.run_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.svc.prepare()
        self.svc.daemon.start(self.svc.argv(), self.svc.env())
        probes.wait_for(self.svc.probe, timeout, f"private mosquitto on :{self.port} (log {self.log})",
                        interval=0.1, alive=lambda: self.svc.daemon.pid() is not None)
        return self

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its persistence database on the way out."""
        self.svc.daemon.stop(timeout=20)

    def restart(self) -> None:
        self.stop()
        self.start()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
