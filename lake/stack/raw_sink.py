"""The raw sink as a service of the stack (the sink itself is ingestion/sink)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.settings import RAW_SINK
from lake.stack.service import Service


class RawSink(Service):
    """tweets.raw -> HDFS raw zone, exactly once (ingestion/sink/raw_sink.py)."""

    name = RAW_SINK
    port_keys = ()
    start_timeout = 120
    log_to_stdout = True

    @property
    def status_file(self) -> Path:
        return self.s.status_file(self.name)

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "ingestion.sink", "--tag", marker(self.name),
                "--status-file", str(self.status_file),
                "--roll-seconds", os.environ.get("LAKE_SINK_ROLL_SECONDS", "30")]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = f"{self.s.root}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def cwd(self) -> Path | None:
        return self.s.root

    def probe(self) -> ProbeResult:
        from ingestion.sink import status

        return status.probe(self.status_file)
