"""The bridge's status file, rewritten every second while it runs: its metrics (messages in,
delivered, rejected, in flight, lag) for `make status` and for the reconciliation `make ingest` prints."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from lake.runtime.probes import ProbeResult

STALE_SECONDS = 20  # no heartbeat for this long: the bridge is not running
METRICS = ("received", "delivered", "rejected", "in_flight", "failed", "lag_seconds")


def read(status_file: Path) -> dict | None:
    try:
        return json.loads(Path(status_file).read_text())
    except (FileNotFoundError, ValueError):
        return None


def write(status_file: Path, st: dict) -> None:
    tmp = Path(f"{status_file}.tmp")
    tmp.write_text(json.dumps(st, sort_keys=True))
    os.replace(tmp, status_file)  # readers never see half a file


def probe(status_file: Path, pid: int | None = None) -> ProbeResult:
    """Running, connected to the broker and recently alive; with `pid`, written by that process (not by
    one killed before it, whose file is still fresh)."""
    st = read(status_file)
    if st is None:
        return ProbeResult(False, f"no status yet in {status_file}")
    if pid is not None and st.get("pid") != pid:
        return ProbeResult(False, f"status in {status_file} is from pid {st.get('pid')}, not {pid}")
    age = time.time() - st.get("heartbeat", 0)
    # Subscribed, not only connected: a session's first subscription must exist before anything is
    # published, or the broker has no one to queue the messages for.
    ok = st.get("state") == "running" and st.get("connected") and st.get("subscribed") and age < STALE_SECONDS
    return ProbeResult(bool(ok), f"state={st.get('state')}, connected={st.get('connected')}, "
                                 f"subscribed={st.get('subscribed')}, "
                                 f"heartbeat {age:.0f}s ago, {summary(st)}")


def summary(st: dict) -> str:
    lag = st.get("lag_seconds")
    return (f"in={st.get('received', 0):,} delivered={st.get('delivered', 0):,} rejected={st.get('rejected', 0):,} "
            f"in_flight={st.get('in_flight', 0):,} lag={'-' if lag is None else f'{lag:.1f}s'}")
