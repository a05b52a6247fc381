"""Issue #28's logic without services: the build lock shared by `make build` and lake_batch's tasks,
the plan's pending rule, the schedule setting, the sandbox DAG specs, `lake build --dates`."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from lake import settings
from lake.errors import LakeError
from lake.pipeline import lock, pending
from lake.settings import ROOT

sys.path.insert(0, str(ROOT / "airflow" / "dags"))
import lake_dags  # noqa: E402  (stdlib-only at import: importable without Airflow)

HOLD = """
import sys, time
from lake import settings
from lake.pipeline import lock
s = settings.load({"LAKE_VAR_DIR": sys.argv[1]})
with lock.build_lock(s, sys.argv[2], timeout=0, what="holder under test"):
    print("HELD", flush=True)
    time.sleep(float(sys.argv[3]))
"""


@pytest.fixture()
def s(tmp_path):
    return settings.load({"LAKE_VAR_DIR": str(tmp_path)})


def hold(s, prefix: str, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(s.var), prefix, str(seconds)], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "HELD"
    return p


def test_a_second_build_of_the_same_schemas_gives_up_in_one_line_naming_the_holder(s):
    p = hold(s, "", 30)
    try:
        assert lock.is_held(s, "")
        said = []
        t0 = time.monotonic()
        with pytest.raises(LakeError) as e:
            with lock.build_lock(s, "", timeout=1.5, echo=said.append, poll=0.1):
                pass
        assert 1.4 < time.monotonic() - t0 < 10
        msg = str(e.value)
        assert "\n" not in msg and f"pid {p.pid}" in msg and "holder under test" in msg and "gave up after 2 s" in msg
        assert len(said) == 1 and "waiting up to 2 s" in said[0]  # told once, not once per poll
    finally:
        p.kill()
        p.wait()


def test_the_lock_is_released_when_its_holder_is_killed_and_other_prefixes_never_wait(s):
    p = hold(s, "", 30)
    with lock.build_lock(s, "it_abc_", timeout=0):  # a sandbox's schemas: a lock of its own
        assert lock.lock_path(s, "it_abc_") != lock.lock_path(s, "")
    p.kill()  # SIGKILL: the kernel drops the flock with the process
    p.wait()
    assert not lock.is_held(s, "")
    with lock.build_lock(s, "", timeout=0) as info:
        assert info["pid"] > 0 and lock.holder(lock.lock_path(s, ""))["pid"] == info["pid"]


def test_a_waiting_build_gets_the_lock_when_the_holder_finishes(s):
    p = hold(s, "", 1.5)
    said = []
    t0 = time.monotonic()
    with lock.build_lock(s, "", timeout=30, echo=said.append, poll=0.1):
        waited = time.monotonic() - t0
        assert p.wait(timeout=10) == 0  # the holder is ending: its lock went with its files
    assert 1.0 < waited < 10 and len(said) == 1


@pytest.mark.parametrize("raw", ["x", "-1"])
def test_a_bad_lock_timeout_is_one_clear_line(monkeypatch, raw):
    monkeypatch.setenv(lock.TIMEOUT_ENV, raw)
    with pytest.raises(LakeError, match=lock.TIMEOUT_ENV):
        lock.timeout_from_env()


def test_pending_dates_are_new_dates_late_files_and_rewritten_files_never_empty_ones():
    raw = {"2026-01-01": (3, 300), "2026-01-02": (2, 200), "2026-01-03": (1, 50), "2026-01-04": (0, 0),
           "2026-01-05": (2, 210)}
    loaded = {"2026-01-01": (3, 300), "2026-01-02": (1, 100), "2026-01-05": (2, 200)}
    # 01 loaded as is; 02 has a late file; 03 is new; 04 is an empty folder; 05 has a rewritten file
    assert pending.unloaded_dates(raw, loaded) == ["2026-01-02", "2026-01-03", "2026-01-05"]
    assert pending.unloaded_dates({}, loaded) == []


@pytest.mark.parametrize("value,want", [(None, "on"), ("OFF", "off"), ("keep", "keep")])
def test_the_schedule_setting(value, want):
    env = {} if value is None else {"LAKE_AIRFLOW_SCHEDULE": value}
    assert settings.load(env).airflow_schedule == want


def test_a_bad_schedule_setting_names_the_choices():
    with pytest.raises(LakeError, match="choose on, off or keep"):
        settings.load({"LAKE_AIRFLOW_SCHEDULE": "sometimes"})


def test_sandbox_dag_specs_are_read_and_malformed_ones_skipped(tmp_path, monkeypatch):
    folder = tmp_path / "sandbox_dags"
    folder.mkdir()
    (folder / "ok.json").write_text(json.dumps({"tag": "ab12", "schema_prefix": "it_ab12_", "raw_root": "/tmp/x"}))
    (folder / "half.json").write_text('{"tag": "cd')
    (folder / "bad.json").write_text(json.dumps({"tag": "no/slash", "schema_prefix": "p_", "raw_root": "/r"}))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert lake_dags.sandboxes() == [{"tag": "ab12", "schema_prefix": "it_ab12_", "raw_root": "/tmp/x"}]


def test_build_dates_are_checked_before_any_work():
    r = subprocess.run([sys.executable, "-m", "lake", "build", "--dates", "2026-01-01,2026-13-01"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr  # bad arguments: exit 2 (#26)
    assert "DATES='2026-13-01' is not a date: give YYYY-MM-DD" in r.stderr
