"""The raw sink as a service of the stack (the sink itself is ingestion/sink)."""
from __future__ import annotations

import os
import sys

from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.settings import RAW_SINK
from lake.stack.service import PythonDaemon


class RawSink(PythonDaemon):
    """tweets.raw -> HDFS raw zone, exactly once (ingestion/sink/raw_sink.py)."""

    name = RAW_SINK
    start_timeout = 120

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "ingestion.sink", "--tag", marker(self.name),
                "--status-file", str(self.status_file),
                "--roll-seconds", os.environ.get("LAKE_SINK_ROLL_SECONDS", "30")]

    def probe(self) -> ProbeResult:
        from ingestion.sink import status

        return status.probe(self.status_file)
