"""The speed layer's launch and status: spark-submit of spark/jobs/stream_speed.py with the Kafka
source jars, and the status file its driver rewrites every 2 s (docs/serving.md).

The same function starts the stack's `speed-layer` service and the private instances tests and
the benchmark run on their own topic, schema and checkpoint.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from lake.runtime import spark
from lake.errors import LakeError
from lake.runtime.probes import ProbeResult
from lake.settings import SPEED_CHECKPOINTS, SPEED_TRIGGER_SECONDS, TOPIC_RAW, Settings

JOB = Path(__file__).resolve().parents[2] / "spark" / "jobs" / "stream_speed.py"
def trigger_seconds() -> float:
    return float(os.environ.get("LAKE_SPEED_TRIGGER_SECONDS", SPEED_TRIGGER_SECONDS))


def checkpoint_uri(s: Settings, name: str = "tweets") -> str:
    return f"{s.hdfs_uri}{SPEED_CHECKPOINTS}/{name}"


def extra_jars(s: Settings) -> list[Path]:
    """spark-sql-kafka and its few dependencies, resolved by `make install` (hadoop-cluster/maven/spark-extra)."""
    jars = sorted((s.lib_dir / "spark-extra").glob("*.jar"))
    if not any(j.name.startswith("spark-sql-kafka") for j in jars):
        raise LakeError(f"the Kafka source for Spark is missing from {s.lib_dir / 'spark-extra'}: run `make install`")
    return jars


def submit_argv(s: Settings, status_file: Path, service: str | None = "speed-layer", topic: str = TOPIC_RAW,
                speed_db: str = "speed", checkpoint: str | None = None, trigger: float | None = None,
                ui_port: int | None = None, master: str | None = None, extra_args: list[str] = (),
                job: Path = JOB) -> list[str]:
    master = master or os.environ.get("LAKE_SPEED_MASTER", "local[2]")
    argv = spark.submit_base(s, master=master, name=f"lake-speed-{speed_db}", service=service,
                             driver_memory_mb=s.heaps_mb.get("speed-layer", 1024))
    ui = ui_port if ui_port is not None else s.ports["speed_ui"]
    if master.startswith("local"):
        # workers fork from a daemon that loaded the transforms once (spark/jobs/speed_daemon.py)
        argv += ["--conf", "spark.python.daemon.module=spark.jobs.speed_daemon"]
    argv += ["--jars", ",".join(str(j) for j in extra_jars(s)),
             "--conf", f"spark.ui.port={ui}" if ui else "spark.ui.enabled=false",
             "--conf", "spark.ui.retainedJobs=200", "--conf", "spark.sql.ui.retainedExecutions=50",
             "--conf", "spark.sql.streaming.ui.retainedQueries=5",
             str(job), "--bootstrap", s.kafka_bootstrap, "--topic", topic, "--speed-db", speed_db,
             "--checkpoint", checkpoint or checkpoint_uri(s), "--trigger-seconds", str(trigger or trigger_seconds()),
             "--status-file", str(status_file), *extra_args]
    return argv


def read_status(status_file: Path) -> dict | None:
    try:
        return json.loads(Path(status_file).read_text())
    except (FileNotFoundError, ValueError):
        return None


def probe_status(status_file: Path, max_age: float = 30.0) -> ProbeResult:
    """Ready when the driver says its query runs and said so recently (it rewrites the file every 2 s)."""
    st = read_status(status_file)
    if st is None:
        return ProbeResult(False, f"no status yet in {status_file}")
    age = time.time() - st.get("updated_at", 0)
    ok = st.get("state") == "running" and age < max_age
    detail = (f"state={st.get('state')}, updated {age:.0f}s ago, last batch {st.get('last_batch_id')}, "
              f"rows={st.get('rows', 0)}, rejects={st.get('rejects', 0)}, restarts={st.get('restarts', 0)}")
    if st.get("last_error") and not ok:
        detail += f", last error: {st['last_error'][:120]}"
    return ProbeResult(ok, detail)
