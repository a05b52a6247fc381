"""Kafka: one KRaft node, broker and controller."""
from __future__ import annotations

import subprocess
from pathlib import Path

from lake.errors import LakeError
from lake.runtime import probes
from lake.runtime.probes import ProbeResult
from lake.stack.service import Service


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

    def _opts(self) -> list[str]:
        return [f"-Dkafka.logs.dir={self.s.log_dir}",
                f"-Dlog4j2.configurationFile={self.s.conf_dir / 'kafka' / 'log4j2.yaml'}"]

    def prepare(self) -> None:
        # KRaft storage is formatted exactly once; meta.properties marks a formatted log dir.
        logs = self.s.data_dir / "kafka"
        if (logs / "meta.properties").exists():
            return
        import base64
        import uuid

        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        argv = self.java_argv("kafka.tools.StorageTool", f"{self.lib}/*", opts=self._opts(),
                              args=["format", "-t", cluster_id, "-c", str(self.properties)])
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

            md = AdminClient({"bootstrap.servers": self.s.kafka_bootstrap}).list_topics(timeout=5)
        except Exception as e:  # noqa: BLE001
            return ProbeResult(False, f"broker metadata request failed ({e})")
        return ProbeResult(len(md.brokers) >= 1, f"brokers={len(md.brokers)}")
