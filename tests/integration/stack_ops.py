"""What an operator does in the crash tests: kill -9 of the stack's daemons, then `lake up` to bring them back."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from lake.runtime import process
from lake.stack import services
from lake.settings import ROOT, Settings


def kill9(lake: Settings, *names: str) -> list[int]:
    """kill -9 of the named services' daemons; returns their pids once none of them is alive (30 s at most)."""
    pids = [services.by_name(lake, n).daemon.pid() for n in names]
    assert all(pids), f"not running: {[n for n, pid in zip(names, pids) if not pid]}"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(process.pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(process.pid_alive(p) for p in pids), f"{names} still alive 30 s after kill -9"
    return pids


def lake_up() -> str:
    r = subprocess.run([sys.executable, "-m", "lake", "up"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"lake up failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def assert_started(out: str, *names: str) -> None:
    """`lake up`'s output says it started (not found running) each named service."""
    for name in names:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name))
        assert "started" in line, f"lake up did not restart {name}:\n{out}"
