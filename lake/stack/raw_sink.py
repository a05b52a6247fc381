"""The raw sink as a service of the stack (the sink itself is ingestion/sink)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.stack.service import Service


class RawSink(Service):
    """tweets.raw -> HDFS raw zone, exactly once (ingestion/sink.py)."""

    name = "raw-sink"
    port_keys = ()
    start_timeout = 120
    log_to_stdout = True

    @property
    def status_file(self) -> Path:
        return self.s.run_dir / "raw-sink.status.json"

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
        import json
        import time

        try:
            st = json.loads(self.status_file.read_text())
        except (FileNotFoundError, ValueError):
            return ProbeResult(False, f"no status yet in {self.status_file}")
        age = time.time() - st.get("heartbeat", 0)
        ok = st.get("state") == "running" and age < 20
        return ProbeResult(ok, f"state={st.get('state')}, heartbeat {age:.0f}s ago, landed={st.get('records')}")
