"""The raw sink's status file, rewritten by the sink every 2 s while it runs: read by `make status`
(the stack's `raw-sink` service) and by `make ingest`, which waits for landing only when the sink runs."""
from __future__ import annotations

import json
import time
from pathlib import Path

from lake.runtime.probes import ProbeResult

STALE_SECONDS = 20  # no heartbeat for this long: the sink is not running


def probe(status_file: Path) -> ProbeResult:
    try:
        st = json.loads(status_file.read_text())
    except (FileNotFoundError, ValueError):
        return ProbeResult(False, f"no status yet in {status_file}")
    age = time.time() - st.get("heartbeat", 0)
    ok = st.get("state") == "running" and age < STALE_SECONDS
    return ProbeResult(ok, f"state={st.get('state')}, heartbeat {age:.0f}s ago, landed={st.get('records')}")
