"""Kafka's own perf tools (ProducerPerformance, ConsumerPerformance): how we run them and read their output.

They run from the stack's Kafka jars (var/lib/kafka) on the stack's JDK 17, so
the reference is the same Kafka release as the broker.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

PRODUCER_CLASS = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_CLASS = "org.apache.kafka.tools.ConsumerPerformance"

# The final line of ProducerPerformance; the 5-second window lines lack the percentiles.
_PRODUCER_SUMMARY = re.compile(
    r"^(?P<records>\d+)(?P<steady> steady state)? records sent, (?P<records_per_s>[\d.]+) records/sec "
    r"\((?P<mib_per_s>[\d.]+) MB/sec\), (?P<avg_latency_ms>[\d.]+) ms avg latency, "
    r"(?P<max_latency_ms>[\d.]+) ms max latency, (?P<p50_ms>\d+) ms 50th, (?P<p95_ms>\d+) ms 95th, "
    r"(?P<p99_ms>\d+) ms 99th, (?P<p999_ms>\d+) ms 99\.9th\.$")

_INT_FIELDS = {"records", "p50_ms", "p95_ms", "p99_ms", "p999_ms"}

CONSUMER_FIELDS = ("start.time", "end.time", "data.consumed.in.MB", "MB.sec", "data.consumed.in.nMsg",
                   "nMsg.sec", "rebalance.time.ms", "fetch.time.ms", "fetch.MB.sec", "fetch.nMsg.sec")


class ToolError(RuntimeError):
    pass


def parse_producer_summary(stdout: str) -> dict:
    """The totals of a ProducerPerformance run. Its MB is MiB of record values (keys: none sent)."""
    for line in reversed(stdout.splitlines()):
        m = _PRODUCER_SUMMARY.match(line.strip())
        if m and not m["steady"]:
            out = {k: (int(v) if k in _INT_FIELDS else float(v)) for k, v in m.groupdict().items() if k != "steady"}
            out["line"] = line.strip()
            return out
    raise ToolError("no ProducerPerformance summary line (…records sent, … 99.9th.) in its output")


def parse_consumer_summary(stdout: str) -> dict:
    """The one data row of ConsumerPerformance under its header, keyed by the header's names.

    Its MB counts keys and values; rebalance.time.ms is the group join, which
    fetch.* leave out.
    """
    lines = [ln.strip() for ln in stdout.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        names = [n.strip() for n in line.split(",")]
        if names[:2] == ["start.time", "end.time"] and i + 1 < len(lines):
            values = [v.strip() for v in lines[i + 1].split(",")]
            if len(values) != len(names):
                break
            row: dict = {}
            for name, value in zip(names, values):
                row[name] = value if name.endswith(".time") else float(value)
            row["data.consumed.in.nMsg"] = int(row["data.consumed.in.nMsg"])
            row["line"] = lines[i + 1]
            return row
    raise ToolError("no ConsumerPerformance header (start.time, end.time, ...) and data row in its output")


def jvm_command(java: Path, classpath: str, heap: str, main_class: str, args: list[str],
                jvm_args: tuple[str, ...] = ()) -> list[str]:
    # An English locale keeps the decimal point a dot in the tools' printf output.
    return [str(java), f"-Xmx{heap}", "-Duser.language=en", "-Duser.country=US", *jvm_args,
            "-cp", classpath, main_class, *args]


def java_command(java: Path, kafka_lib: Path, heap: str, main_class: str, args: list[str]) -> list[str]:
    return jvm_command(java, f"{kafka_lib}/*", heap, main_class, args)


def run(java: Path, kafka_lib: Path, heap: str, main_class: str, args: list[str], log: Path,
        timeout: float) -> str:
    """Run one Kafka tool to completion; its whole output goes to `log`. Returns stdout."""
    return run_command(java_command(java, kafka_lib, heap, main_class, args), main_class, log, timeout)


def run_command(cmd: list[str], main_class: str, log: Path, timeout: float) -> str:
    """Run one JVM tool (jvm_command) to completion; its whole output goes to `log`. Returns stdout."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        log.write_text(f"$ {' '.join(cmd)}\n(timed out after {timeout:.0f}s)\n{e.stdout or ''}{e.stderr or ''}")
        raise ToolError(f"{main_class.rsplit('.', 1)[1]} did not finish in {timeout:.0f}s; see {log}") from e
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")
    if proc.returncode != 0:
        raise ToolError(f"{main_class.rsplit('.', 1)[1]} exited {proc.returncode}; see {log}")
    return proc.stdout


def java_version(java: Path) -> str:
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    return (out.stderr or out.stdout).splitlines()[0].strip()
