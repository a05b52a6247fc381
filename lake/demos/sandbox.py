"""A private lambda pipeline on the real stack, for the speed benchmark and the serving/speed/Airflow tests.

Its own Kafka topic, a raw sink and a speed-layer stream of its own (the same code as the stack's
services, started as processes), HDFS folders under /tmp/<tag>, and schemas <prefix>raw,
<prefix>bronze, ..., <prefix>speed, <prefix>serving, so nothing touches the user's lake.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from lake.demos import smoke
from lake.pipeline import ddl, serving, speed
from lake.runtime import clients, hdfs_client, probes, spark
from lake.settings import COMPLY_GROUP, TOPIC_COMPLIANCE, Settings


@dataclass
class SpeedSandbox:
    s: Settings
    tag: str
    trigger_seconds: float = 5.0
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    # ---- names ----
    @property
    def prefix(self) -> str:
        return f"it_{self.tag}_"

    @property
    def topic(self) -> str:
        return f"it.{self.tag}.tweets.raw"

    @property
    def compliance_topic(self) -> str:
        return f"it.{self.tag}.{TOPIC_COMPLIANCE}"

    @property
    def comply_group(self) -> str:
        return f"{COMPLY_GROUP}-{self.tag}"

    @property
    def hdfs_dir(self) -> str:
        return f"/tmp/it-{self.tag}"

    @property
    def raw_root(self) -> str:
        return f"{self.hdfs_dir}/raw/tweets"

    @property
    def checkpoint(self) -> str:
        return f"{self.s.hdfs_uri}{self.hdfs_dir}/checkpoint"

    @property
    def dbs(self) -> dict[str, str]:
        return serving.dbs_with_prefix(self.prefix)

    @property
    def run_dir(self) -> Path:
        d = self.s.run_dir / f"it-{self.tag}"
        d.mkdir(parents=True, exist_ok=True)
        return d

    @property
    def speed_status(self) -> Path:
        return self.run_dir / "speed.status.json"

    def schemas(self) -> list[str]:
        return [f"{self.prefix}{x}" for x in ("raw", "bronze", "silver", "gold", "ops", "speed", "serving")]

    # ---- set-up ----
    def create(self) -> None:
        from ingestion import topics

        # its compliance topic too: lake_batch__<tag>'s comply task and the speed layer's ledger tests read it
        topics.ensure(self.s.kafka_bootstrap, prefix=f"it.{self.tag}.", which=(topics.RAW, topics.DLQ, topics.COMPLIANCE))
        hdfs_client.client(self.s).makedirs(self.raw_root)
        ddl.apply_layer(self.s, "raw", RAW_DB=f"{self.prefix}raw", RAW_ROOT=f"{self.s.hdfs_uri}{self.raw_root}")
        for layer in ("bronze", "silver", "gold", "ops"):
            ddl.apply_layer(self.s, layer, **{f"{k.upper()}_DB": f"{self.prefix}{k}"
                                              for k in ("bronze", "silver", "gold", "ops")})
        serving.apply_view(self.s, self.dbs)

    def start_sink(self) -> None:
        argv = [sys.executable, "-m", "ingestion.sink", "--topic", self.topic, "--group", f"it-sink-{self.tag}",
                "--raw-root", self.raw_root, "--rejected-root", f"{self.hdfs_dir}/raw/_rejected",
                "--state-root", f"{self.hdfs_dir}/raw/_sink", "--roll-seconds", "3",
                "--table", f"{self.prefix}raw.tweets", "--status-file", str(self.run_dir / "sink.status.json")]
        env = dict(os.environ, PYTHONPATH=str(self.s.root), PYTHONUNBUFFERED="1")
        self.procs["sink"] = subprocess.Popen(argv, env=env, cwd=self.s.root, start_new_session=True,
                                              stdout=open(self.run_dir / "sink.out", "ab"), stderr=subprocess.STDOUT)

    @property
    def progress_file(self) -> Path:
        return self.run_dir / "speed.progress.jsonl"

    def start_speed(self, trigger_seconds: float | None = None, extra_args: list[str] = (),
                    job: Path = speed.JOB) -> None:
        """The speed layer's streaming job on the sandbox's topic (`job`: bench-speed's floor swaps it)."""
        self.speed_status.unlink(missing_ok=True)
        argv = speed.submit_argv(self.s, self.speed_status, service=None, topic=self.topic,
                                 speed_db=self.dbs["SPEED_DB"], checkpoint=self.checkpoint,
                                 trigger=trigger_seconds or self.trigger_seconds, ui_port=0,
                                 extra_args=["--progress-file", str(self.progress_file), *extra_args], job=job)
        env = spark.submit_env(self.s)
        env["PYTHONUNBUFFERED"] = "1"
        self.procs["speed"] = subprocess.Popen(argv, env=env, cwd=self.s.root, start_new_session=True,
                                               stdout=open(self.run_dir / "speed.out", "ab"), stderr=subprocess.STDOUT)
        probes.wait_for(lambda: speed.probe_status(self.speed_status), 300,
                        f"private speed layer (log {self.run_dir / 'speed.out'})",
                        alive=lambda: self.procs["speed"].poll() is None)

    def kill9_speed(self) -> None:
        """kill -9 of the whole streaming job: spark-submit's JVM and its Python driver."""
        p = self.procs.pop("speed")
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=30)

    def stop(self, names: tuple[str, ...] | None = None) -> None:
        """SIGTERM (the stream stops gracefully, its checkpoint intact), SIGKILL after 60 s; all by default."""
        for name in list(self.procs if names is None else names):
            p = self.procs.pop(name)
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=60)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)

    # ---- Airflow: the sandbox's own copy of the DAGs (airflow/dags/lake_dags sandboxes) ----
    @property
    def dag_ids(self) -> tuple[str, str]:
        return f"lake_batch__{self.tag}", f"lake_maintenance__{self.tag}"

    @property
    def dag_spec(self) -> Path:
        from lake import airflow_env

        return airflow_env.home(self.s) / "sandbox_dags" / f"{self.tag}.json"

    def register_dags(self, timeout: float = 240) -> None:
        """lake_batch__<tag> and lake_maintenance__<tag> on this sandbox's schemas and raw root, on the
        real DAGs' schedules; returns once the dag-processor has parsed them (they start paused unless
        the stack's schedule is on)."""
        from lake import airflow_env

        self.dag_spec.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.dag_spec.with_suffix(".tmp")
        tmp.write_text(json.dumps({"tag": self.tag, "schema_prefix": self.prefix, "raw_root": self.raw_root}))
        tmp.replace(self.dag_spec)

        def parsed():
            known = [d for d in self.dag_ids if airflow_env.dag_summaries(self.s, [d])[0]["paused"] != "-"]
            return probes.ProbeResult(len(known) == len(self.dag_ids), f"parsed: {known}")

        probes.wait_for(parsed, timeout, f"airflow-dag-processor parsing {self.dag_ids} "
                                         f"(log: {self.s.log_file('airflow-dag-processor', stdout=True)})")

    def unregister_dags(self) -> None:
        from lake import airflow_env
        from lake.errors import LakeError

        self.dag_spec.unlink(missing_ok=True)
        for dag_id in self.dag_ids:
            try:
                airflow_env.set_paused(self.s, dag_id, True)
                airflow_env.api(self.s, "DELETE", f"dags/{dag_id}")
            except LakeError:
                pass  # never parsed, or Airflow is down: the file is gone, so it is not parsed again

    def destroy(self) -> None:
        self.stop()
        self.unregister_dags()
        for schema in self.schemas():
            try:
                if schema.endswith("serving"):
                    clients.trino(self.s, f"DROP VIEW IF EXISTS hive.{schema}.tweets")
                smoke.drop_schema(self.s, schema)
            except Exception:  # noqa: BLE001 - a schema a failed test never made
                pass
        for topic in (self.topic, f"it.{self.tag}.tweets.dlq", self.compliance_topic):
            try:
                smoke.delete_topic(self.s, topic)
            except Exception:  # noqa: BLE001
                pass
        try:  # the group `lake comply` used on the sandbox's compliance topic, if it ran
            from confluent_kafka.admin import AdminClient

            admin = AdminClient(clients.kafka_config(self.s.kafka_bootstrap))
            for fut in admin.delete_consumer_groups([self.comply_group], request_timeout=30).values():
                fut.result(30)
        except Exception:  # noqa: BLE001 - never made
            pass
        hdfs_client.client(self.s).delete(self.hdfs_dir, recursive=True)
        import shutil

        shutil.rmtree(self.run_dir, ignore_errors=True)

    # ---- data ----
    def produce(self, payloads: list[tuple[str | None, bytes]], timestamp_ms: int | None = None) -> None:
        """Each (key, value) to the sandbox topic, acknowledged; an explicit record timestamp puts the
        records in that ingest date (the sink and the speed layer both read it)."""
        from confluent_kafka import Producer

        p = Producer(clients.kafka_config(self.s.kafka_bootstrap, **{"enable.idempotence": True, "acks": "all"}))
        failed = []
        for key, value in payloads:
            kw = {"timestamp": timestamp_ms} if timestamp_ms else {}
            p.produce(self.topic, value=value, key=key.encode() if key else None,
                      on_delivery=lambda err, msg: failed.append(err) if err else None, **kw)
            p.poll(0)
        assert p.flush(60) == 0 and not failed, f"produce failed: {failed[:3]}"

    def end_offsets(self) -> int:
        from ingestion.__main__ import high_watermarks

        return sum(high_watermarks(self.s.kafka_bootstrap, self.topic).values())

    def speed_counts(self) -> tuple[int, int]:
        """(speed rows, speed rejects) through Trino."""
        t = clients.trino(self.s, f"SELECT count(*) FROM hive.{self.dbs['SPEED_DB']}.tweets")[0][0]
        r = clients.trino(self.s, f"SELECT count(*) FROM hive.{self.dbs['SPEED_DB']}.tweets_rejected")[0][0]
        return t, r

    def wait_speed(self, records: int, timeout: float = 300) -> None:
        """Until the speed tables hold `records` Kafka records (rows + rejects), probing through Trino."""
        def probe():
            t, r = self.speed_counts()
            return probes.ProbeResult(t + r >= records, f"speed rows {t} + rejects {r} of {records}")

        probes.wait_for(probe, timeout, f"private speed layer (log {self.run_dir / 'speed.out'})", interval=2)

    def wait_landed(self, day: str, lines: int, timeout: float = 180) -> None:
        """Until the sandbox raw zone holds `lines` records for ingest date `day` (the raw sink's files)."""
        c = hdfs_client.client(self.s)

        def probe():
            n = 0
            root = f"{self.raw_root}/ingest_date={day}"
            if c.status(root, strict=False):
                for hour in c.list(root):
                    for name in c.list(f"{root}/{hour}"):
                        if name.endswith(".jsonl"):
                            with c.read(f"{root}/{hour}/{name}") as fh:
                                n += fh.read().count(b"\n")
            return probes.ProbeResult(n >= lines, f"{n} of {lines} raw records landed for {day}")

        probes.wait_for(probe, timeout, f"private raw sink (log {self.run_dir / 'sink.out'})", interval=2)

    def serving_counts(self) -> dict:
        rows = clients.trino(self.s, f"SELECT served_from, count(*), count(DISTINCT tweet_id) "
                                     f"FROM hive.{self.dbs['SERVING_DB']}.tweets GROUP BY 1")
        total = clients.trino(self.s, f"SELECT count(*), count(DISTINCT tweet_id) "
                                      f"FROM hive.{self.dbs['SERVING_DB']}.tweets")[0]
        return {"rows": total[0], "distinct": total[1], **{r[0]: r[1] for r in rows}}

    def serving_ids(self, among: list[int] | None = None) -> set[int]:
        """The tweet ids serving.tweets answers; with `among`, those of these ids (one statement for all)."""
        if among is not None and not among:
            return set()
        where = f" WHERE tweet_id IN ({', '.join(map(str, among))})" if among else ""
        sql = f"SELECT tweet_id FROM hive.{self.dbs['SERVING_DB']}.tweets{where}"
        return {r[0] for r in clients.trino(self.s, sql)}


def tweet_payloads(count: int, seed: int, days: int = 2) -> list[tuple[str, bytes]]:
    """Synthetic v2 tweets (the ingestion firehose) created over `days` days, as (key, value).
    Few created dates keep the batch builds of the tests short (silver publishes per created date)."""
    from ingestion.sources import synthetic

    return [(r.key, r.payload) for r in synthetic.generate(count, seed=seed, days=days)]


def ids_of(payloads) -> set[int]:
    """Tweet ids by the simplest independent reading of the payloads (not the parser under test)."""
    out = set()
    for _, v in payloads:
        try:
            o = json.loads(v)
        except ValueError:
            continue
        o = o.get("data", o) if isinstance(o, dict) else None
        if isinstance(o, dict) and isinstance(o.get("id"), str):
            out.add(int(o["id"]))
    return out


def wait_seconds(t0: float) -> float:
    return round(time.monotonic() - t0, 1)
