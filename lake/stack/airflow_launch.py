"""Runs one Airflow component as a child and stays its parent: `python -X lake.service=<name> -m
lake.stack.airflow_launch <airflow args>`.

Airflow rewrites its own process title (setproctitle), which would erase the lake's marker from
/proc/<pid>/cmdline, and `make status` / `make up` recognise their daemons by that marker. This
small parent keeps the marker, forwards SIGTERM/SIGINT to Airflow, exits with Airflow's status,
and asks the kernel to stop Airflow if the parent itself is killed (-9).
"""
from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def main(argv: list[str]) -> int:
    airflow = Path(sys.executable).parent / "airflow"
    child = subprocess.Popen([str(airflow), *argv], preexec_fn=_die_with_parent)

    def forward(signum, _frame):
        child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
