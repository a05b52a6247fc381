"""Kafka killed while `make ingest` waits for the raw sink to land its records (issue #26): the command
keeps retrying (NOT_COORDINATOR, transport errors) through the restart and then finishes, or fails with
one line; the terminal gets throttled notices, never librdkafka's lines or a traceback; nothing is lost
or landed twice.

This kills the stack's one Kafka (as tests/integration/test_speed_faults.py does) and brings it back with
`lake up`; run it under the integration lock. The ingest has its own topics, consumer group, HDFS roots
and raw sink (tests/integration/test_ingest.py's Box and SinkProcess), so the stack's data is not touched.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from lake.settings import ROOT
from lake.stack import services
from stack_ops import assert_started, kill9, lake_up
from test_ingest import SinkProcess, box, landed_files  # noqa: F401 - box is a fixture

COUNT = 3000
# The sink lands a roll ROLL_S after its oldest record was produced, so the ingest is still waiting
# when Kafka dies a moment after it said so.
ROLL_S = 20


@pytest.fixture
def slow_sink(box):
    sp = SinkProcess(box, roll_seconds=ROLL_S)
    sp.start()
    yield sp
    sp.stop()


@pytest.fixture
def kafka_restored(lake):
    """Whatever happens in the test, Kafka is running again afterwards."""
    yield
    if not services.by_name(lake, "kafka").daemon.pid():
        lake_up()


def test_kafka_killed_during_the_landing_wait(lake, box, slow_sink, kafka_restored):
    argv = [sys.executable, "-m", "ingestion", "--count", str(COUNT), "--seed", "26", "--days", "2",
            "--topic-prefix", box.prefix, "--sink-group", box.group, "--sink-status", str(box.status),
            "--land-timeout", "400", "--kafka-timeout", "300"]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True)
    reader.start()
    stdout = []
    for line in proc.stdout:  # until the ingest says it is waiting for the sink
        stdout.append(line)
        if line.startswith("waiting for raw-sink to land"):
            break
    else:
        pytest.fail(f"the ingest ended before its landing wait: rc={proc.wait()}\n{''.join(stdout)}{''.join(stderr)}")
    assert f"land {COUNT:,} record(s)" in line
    killed_at = time.monotonic()
    kill9(lake, "kafka")
    out = lake_up()
    assert_started(out, "kafka")
    back_after = time.monotonic() - killed_at

    stdout += proc.stdout.readlines()
    rc = proc.wait(timeout=600)
    reader.join(10)
    took = time.monotonic() - t0
    err_lines = [ln.rstrip("\n") for ln in stderr if ln.strip() and "tweets/s]" not in ln and "it/s]" not in ln]
    # tqdm's bar shares stderr: drop its redraws (carriage returns) before counting lines
    err_lines = [ln.split("\r")[-1] for ln in err_lines]
    err_lines = [ln for ln in err_lines if ln.strip() and " -> " not in ln]
    text = "\n".join(err_lines)
    assert "Traceback" not in text and not any(ln.startswith("%") for ln in err_lines), text
    notices = [ln for ln in err_lines if "is not answering" in ln]
    errors = [ln for ln in err_lines if ": error: " in ln]
    assert len(notices) <= (took / 5) + 2, text  # one line every few seconds at most
    assert len(err_lines) == len(notices) + len(errors), text
    print(f"kafka back after {back_after:.0f} s; ingest took {took:.0f} s, rc={rc}, {len(notices)} notice(s)")
    if rc == 0:
        assert not errors, text
        report = "".join(stdout)
        assert "landed in HDFS (offsets)" in report and f"{COUNT:,}".replace(",", "") in report.replace(",", "")
        lines = sum(b.count(b"\n") for b in landed_files(lake, box.raw_root).values())
        assert lines == COUNT, f"{lines} landed for {COUNT} produced: lost or duplicated across the restart"
    else:
        assert len(errors) == 1 and errors[0].startswith("make ingest: error: "), text
        assert "make up" in errors[0] or "make status" in errors[0], errors[0]
