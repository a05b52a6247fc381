"""Spark services: the Thrift Server (HiveServer2 protocol) and the speed layer's streaming driver."""
from __future__ import annotations

from pathlib import Path

from lake.runtime import probes
from lake.runtime.probes import ProbeResult
from lake.stack.service import Service


class ThriftServer(Service):
    """HiveServer2 protocol for Beeline and PyHive. It runs in local mode: a
    long-lived AM plus executors would pin most of YARN's memory on this
    2-core host, while batch jobs are what YARN is for."""

    name = "thriftserver"
    port_keys = ("thrift", "thrift_ui")
    web_port_key = "thrift_ui"
    start_timeout = 180
    log_to_stdout = True

    def env(self) -> dict[str, str]:
        from lake.runtime import spark

        return spark.submit_env(self.s)

    def argv(self) -> list[str]:
        from lake.runtime import spark

        return [*spark.submit_base(self.s, master="local[2]", name="lake-thriftserver", service=self.name,
                                   driver_memory_mb=self.s.heaps_mb["thriftserver"]),
                "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
                "--conf", f"spark.ui.port={self.s.ports['thrift_ui']}",
                "spark-internal",
                "--hiveconf", f"hive.server2.thrift.port={self.s.ports['thrift']}",
                "--hiveconf", f"hive.server2.thrift.bind.host={self.s.bind_host}"]

    def probe(self) -> ProbeResult:
        return probes.port_open(self.s.host, self.s.ports["thrift"])


class SpeedLayer(Service):
    """Kafka -> speed.tweets, Spark Structured Streaming (spark/jobs/stream_speed.py, docs/serving.md).

    It runs with master local[2] in one driver JVM rather than on YARN: a streaming job
    never ends, and on YARN it would hold an AM and an executor container for good,
    which on this 2-core host would leave batch builds waiting for resources.
    LAKE_SPEED_MASTER=yarn moves it there."""

    name = "speed-layer"
    port_keys = ("speed_ui",)
    web_port_key = "speed_ui"
    web_path = "/StreamingQuery/"
    start_timeout = 180
    log_to_stdout = True
    heap_key = "speed-layer"

    @property
    def status_file(self) -> Path:
        return self.s.status_file(self.name)

    def prepare(self) -> None:
        from lake.pipeline import ddl

        ddl.apply_layer(self.s, "speed")

    def argv(self) -> list[str]:
        from lake.pipeline import speed

        return speed.submit_argv(self.s, status_file=self.status_file, service=self.name)

    def env(self) -> dict[str, str]:
        from lake.runtime import spark

        env = spark.submit_env(self.s)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def probe(self) -> ProbeResult:
        from lake.pipeline import speed

        return speed.probe_status(self.status_file)

    def after_start(self) -> None:
        # serving.tweets (a Trino view over silver, speed and the watermarks): Trino is up by now
        from lake.pipeline import serving

        serving.apply_view(self.s)
