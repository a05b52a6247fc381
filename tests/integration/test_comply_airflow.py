"""lake_batch's comply task on the real stack (issue #22): `airflow dags test lake_batch` into a sandbox
(lake/demos/sandbox.py: schemas it_<tag>_*, topics it.<tag>.*, no raw data) applies a pending compliance
event before plan, which then finds nothing to build; and `lake comply` with nothing pending (what the
task runs every hour) is quick."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest

from ingestion import producer
from ingestion.sources import compliance
from lake import airflow_env
from lake.demos.sandbox import SpeedSandbox
from lake.runtime import clients
from lake.settings import ROOT, TOPIC_COMPLIANCE

sys.path.insert(0, str(ROOT / "airflow" / "dags"))
import lake_dags  # noqa: E402  (stdlib-only at import: importable without Airflow)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

TWEET = "1790000000000000777"


@pytest.fixture(scope="module")
def box(lake):
    b = SpeedSandbox(lake, f"ca{uuid.uuid4().hex[:8]}")
    try:
        b.create()
        yield b
    finally:
        b.destroy()


def test_the_batch_applies_a_pending_event_before_it_plans(box, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({"data": {"delete": {"tweet": {"id": TWEET}, "event_at": "2026-12-07T06:00:00Z"}}}))
    sent = producer.produce(compliance.events([path]), box.s.kafka_bootstrap, source="compliance",
                            prefix=f"it.{box.tag}.", topic=TOPIC_COMPLIANCE)
    assert sent.produced == 1
    where = {"schema_prefix": box.prefix, "raw_root": box.raw_root}
    t0 = time.monotonic()
    r = airflow_env.dags_test(box.s, "lake_batch", "2026-12-07T00:00:00+00:00", conf=where, timeout=1200,
                              extra_env={"LAKE_SCHEMA_PREFIX": box.prefix, "LAKE_RAW_ROOT": box.raw_root})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    print(f"airflow dags test lake_batch (comply applying 1 event, nothing to build): {time.monotonic() - t0:.0f}s")
    rows = clients.trino(box.s, f"SELECT kind, tweet_id, applied_at IS NOT NULL "
                                f"FROM hive.{box.prefix}ops.compliance_events")
    assert rows == [("delete", int(TWEET), True)]
    if "== comply done" in out and "builds nothing" in out:  # when the task logs reach dags test's output
        assert out.index("== comply done") < out.index("builds nothing")


def test_with_nothing_pending_the_task_is_a_quick_no_op(box):
    argv = [sys.executable, "-m", "lake", "comply", *lake_dags.comply_args(box.prefix, box.raw_root)]
    t0 = time.monotonic()
    r = subprocess.run(argv, cwd=box.s.root, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - t0
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "no pending event to apply" in r.stdout
    print(f"lake comply with nothing pending (the task's command): {seconds:.1f}s")
    assert seconds < 60
