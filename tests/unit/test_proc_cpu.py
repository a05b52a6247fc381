"""Per-thread CPU accounting from /proc (ingestion/proc_cpu.py) and where the raw sink reports it."""
from __future__ import annotations

import json
import threading
import time

import pytest

from ingestion.sink import proc_cpu
from ingestion.sink.raw_sink import RawSink, SinkConfig


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_snapshot_counts_this_process_and_its_threads():
    before = proc_cpu.snapshot()
    if not before:
        pytest.skip("no /proc on this system")
    worker = threading.Thread(target=_spin, args=(0.3,))
    worker.start()
    worker.join()
    _spin(0.3)
    after = proc_cpu.snapshot()
    used = proc_cpu.since(before, after)
    # The ended worker is gone from the threads but its time stays in the process total.
    assert used["process_cpu_s"] >= 0.5
    assert used["threads"]["main"]["cpu_s"] >= 0.25
    assert used["threads"]["main"]["runq_wait_s"] >= 0
    assert str(threading.get_native_id()) in after["threads"]


def test_since_groups_threads_by_name_and_subtracts_the_first_snapshot():
    before = {"pid": "10", "process_cpu_s": 1.0,
              "threads": {"10": ("python", 0.5, 0.1), "11": ("rdk:broker1", 0.2, 0.0)}}
    after = {"pid": "10", "process_cpu_s": 4.0,
             "threads": {"10": ("python", 2.0, 0.6), "11": ("rdk:broker1", 0.7, 0.1), "12": ("rdk:main", 0.1, 0.0),
                         "13": ("python", 0.3, 0.2), "14": ("python", 0.2, 0.0)}}
    used = proc_cpu.since(before, after)
    assert used["process_cpu_s"] == 3.0
    assert used["threads"] == {
        "main": {"cpu_s": 1.5, "runq_wait_s": 0.5},
        "rdk:broker1": {"cpu_s": 0.5, "runq_wait_s": 0.1},
        "rdk:main": {"cpu_s": 0.1, "runq_wait_s": 0.0},
        "python threads": {"cpu_s": 0.5, "runq_wait_s": 0.2},
    }
    assert proc_cpu.since({}, after) == {}


def test_snapshot_without_proc_is_empty(tmp_path):
    assert proc_cpu.snapshot(tmp_path / "missing") == {}


def test_the_sinks_final_status_says_what_consuming_used(tmp_path):
    status = tmp_path / "status.json"
    sink = RawSink(SinkConfig(bootstrap="127.0.0.1:1", webhdfs_url="http://127.0.0.1:1", hdfs_user="u",
                              status_file=str(status)))
    try:
        sink._write_status("stopped")
        assert "cpu_since_assigned" not in json.loads(status.read_text())   # never assigned: nothing to say
        sink._cpu_at_assign = proc_cpu.snapshot()
        if not sink._cpu_at_assign:
            pytest.skip("no /proc on this system")
        _spin(0.1)
        sink._write_status("running")
        assert "cpu_since_assigned" not in json.loads(status.read_text())
        sink._write_status("stopped")
        cpu = json.loads(status.read_text())["cpu_since_assigned"]
        assert cpu["threads"]["main"]["cpu_s"] >= 0.05
    finally:
        sink.inflight.shutdown()
