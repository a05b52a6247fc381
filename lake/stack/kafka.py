"""Kafka: one KRaft node, broker and controller."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lake.errors import LakeError
from lake.runtime import clients, probes
from lake.runtime.probes import ProbeResult
from lake.settings import KAFKA_BROKER
from lake.stack import kafka_acls
from lake.stack.service import Service


def write_secret(path: Path, text: str) -> None:
    """A file only the lake's user reads (0600 in a 0700 folder), replaced whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


class Kafka(Service):
    name = "kafka"
    port_keys = ("kafka", "kafka_controller")
    start_timeout = 120

    @property
    def lib(self) -> Path:
        return self.s.lib_dir / "kafka"

    @property
    def properties(self) -> Path:
        return self.s.conf_dir / "kafka" / "server.properties"

    @property
    def jaas_file(self) -> Path:
        return self.s.secrets_dir / "kafka-broker-jaas.conf"

    def _opts(self) -> list[str]:
        return [f"-Dkafka.logs.dir={self.s.log_dir}",
                f"-Dlog4j2.configurationFile={self.s.conf_dir / 'kafka' / 'log4j2.yaml'}",
                f"-Djava.security.auth.login.config={self.jaas_file}"]

    def prepare(self) -> None:
        # The broker's own SCRAM login, rewritten from var/secrets (or the environment) at every start.
        write_secret(self.jaas_file, kafka_acls.jaas(self.s, KAFKA_BROKER))
        # KRaft storage is formatted exactly once; meta.properties marks a formatted log dir. A new cluster
        # gets every principal's SCRAM credential at format time (KIP-900): nobody could log in to add them.
        # An existing one gets them through the admin API (lifecycle's kafka_security step, every `up`).
        logs = self.s.data_dir / "kafka"
        if (logs / "meta.properties").exists():
            return
        import base64
        import uuid

        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        argv = self.java_argv("kafka.tools.StorageTool", f"{self.lib}/*", opts=self._opts(),
                              args=["format", "-t", cluster_id, "-c", str(self.properties),
                                    *kafka_acls.format_scram_args(self.s)])
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise LakeError("kafka: storage format failed", (r.stdout + r.stderr)[-3000:])

    def argv(self) -> list[str]:
        return self.java_argv("kafka.Kafka", f"{self.lib}/*", args=[str(self.properties)], opts=self._opts())

    def probe(self) -> ProbeResult:
        port = probes.port_open(self.s.host, self.s.ports["kafka"])
        if not port:
            return port
        try:
            from confluent_kafka.admin import AdminClient

            md = AdminClient(clients.kafka_config(self.s)).list_topics(timeout=5)
        except Exception as e:  # noqa: BLE001
            return ProbeResult(False, f"broker metadata request failed ({e})")
        return ProbeResult(len(md.brokers) >= 1, f"brokers={len(md.brokers)}")
