"""The real raw sink (`python -m ingestion.sink`) as a child process on the benchmark's topic and HDFS dir."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lake.settings import ROOT
from lake.runtime import clients

# The sink logs one line per finished roll, after committing its offsets; "in S s" is the roll's HDFS time.
_ROLLED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO raw-sink: partition (\d+): rolled offsets "
                     r"\d+\.\.\d+ .* in ([\d.]+) s$", re.MULTILINE)
_ASSIGNED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO raw-sink: partition \d+: resuming at offset",
                       re.MULTILINE)


def first_assignment(log_text: str) -> float | None:
    """Wall-clock time (epoch s) of the sink's first "partition N: resuming at offset" log line.

    logging's asctime is local time with milliseconds, which is what
    datetime.timestamp() assumes for a naive value.
    """
    m = _ASSIGNED.search(log_text)
    return _epoch(m.group(1)) if m else None


def _epoch(asctime: str) -> float:
    return datetime.strptime(asctime, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def roll_timeline(log_text: str) -> list[tuple[float, float]]:
    """(start, end) of every finished roll, from the sink's "partition N: rolled offsets ..." lines, by start.

    A roll is: write its files under temporary names, mark it complete, rename
    the files into place (ingestion/sink/roll.py). Rolls of different
    partitions overlap. The line is logged once the offsets are committed, a
    few ms after the roll ended; end = log time, start = end - the roll's time.
    """
    rolls = []
    for m in _ROLLED.finditer(log_text):
        end = _epoch(m.group(1))
        rolls.append((end - float(m.group(3)), end))
    return sorted(rolls)


def busy_seconds(spans: list[tuple[float, float]]) -> float:
    """Wall time during which at least one roll was running (overlapping rolls counted once)."""
    total, cur_start, cur_end = 0.0, None, None
    for start, end in sorted(spans):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


@dataclass
class SinkRoots:
    base: str                 # an HDFS dir of the benchmark

    @property
    def raw(self) -> str:
        return f"{self.base}/raw/tweets"

    @property
    def rejected(self) -> str:
        return f"{self.base}/raw/_rejected/tweets"

    @property
    def state(self) -> str:
        return f"{self.base}/raw/_sink"


class SinkProcess:
    def __init__(self, topic: str, group: str, roots: SinkRoots, roll_seconds: float, roll_mb: float,
                 status_file: Path, log_file: Path):
        self.topic, self.group, self.roots = topic, group, roots
        self.roll_seconds, self.roll_mb = roll_seconds, roll_mb
        self.status_file, self.log_file = status_file, log_file
        self.proc: subprocess.Popen | None = None
        self.launched_at = 0.0

    def start(self) -> None:
        argv = [sys.executable, "-m", "ingestion.sink", "--topic", self.topic, "--group", self.group,
                "--raw-root", self.roots.raw, "--rejected-root", self.roots.rejected,
                "--state-root", self.roots.state, "--roll-seconds", str(self.roll_seconds),
                "--roll-mb", str(self.roll_mb), "--no-register", "--status-file", str(self.status_file)]
        self.status_file.unlink(missing_ok=True)
        self.launched_at = time.time()
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "PYTHONPATH": str(ROOT)})

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"the benchmark's raw sink exited with {self.proc.returncode}; "
                               f"see {self.log_file}:\n{self.log_file.read_text()[-1500:]}")

    def wait_running(self, timeout: float = 90) -> None:
        """Ready = partitions assigned and recovered (the sink's status file says "running")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self.status().get("state") == "running":
                return
            time.sleep(0.1)
        raise TimeoutError(f"the benchmark's raw sink was not running after {timeout:.0f}s; see {self.log_file}")

    def status(self) -> dict:
        try:
            return json.loads(self.status_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def assigned_at(self) -> float | None:
        return first_assignment(self.log_file.read_text(errors="replace"))

    def stop(self) -> dict:
        """SIGTERM (the sink lands what it holds, then exits); returns its final status."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.status()


class CommittedOffsets:
    """Reads a group's committed offsets with one long-lived client (no group join, no commits)."""

    def __init__(self, bootstrap: str, topic: str, group: str, partitions: list[int]):
        from confluent_kafka import Consumer, TopicPartition

        self._tps = [TopicPartition(topic, p) for p in partitions]
        self._c = Consumer(clients.kafka_config(bootstrap, **{"group.id": group, "enable.auto.commit": False}))

    def read(self) -> dict[int, int]:
        return {tp.partition: max(tp.offset, 0) for tp in self._c.committed(self._tps, timeout=30)}

    def close(self) -> None:
        self._c.close()


def high_watermarks(bootstrap: str, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(clients.kafka_config(bootstrap, **{"group.id": "bench-ingest-watermarks", "enable.auto.commit": False}))
    try:
        parts = c.list_topics(topic, timeout=30).topics[topic].partitions
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in sorted(parts)}
    finally:
        c.close()
