"""`make bench-ingest`: our producer and raw sink against Kafka's own perf tools, in one run.

    python -m benchmarks.ingest.run --scale small

Phases (counts per scale in cases.yaml): 1. producer throughput, 2. raw-sink
throughput with consumers for reference, 3. produce-to-visible latency, 4. the MQTT
bridge against mosquitto_sub, and publish-to-visible through it, 5. the replay streaming a big
pretty-printed JSON array (peak RSS; no Kafka). Setup
(payload generation, topic creation, pre-filling, sink start) is never timed.
Everything runs in its own namespace (bench.<stamp>.* topics and groups,
/tmp/bench-ingest-<stamp> on HDFS), removed at the end even on failure.
Results: benchmarks/results/ingest-<stamp>/{results.json,report.md,logs/} and
the link benchmarks/results/ingest-latest.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from lake.bench import machine, stats
from lake.bench.ingest import (cases, consumers, hdfs_put, kafka_tools, latency, mqtt, payloads, producers,
                               replay_stream, report, sink_drain)
from lake.bench.ingest.verdicts import choice, goals
from lake.bench.report import point_latest
from lake.bench.progress import bar as progress_bar
from lake.bench.ingest.sandbox import Sandbox, kafka_cluster_id
from ingestion import producer as lake_producer
from ingestion import topics
from lake.settings import ROOT
from lake.runtime import clients

RESULTS_ROOT = ROOT / "benchmarks" / "results"


def _rotated(items: tuple, k: int) -> tuple:
    """Round k runs the clients in a rotated order, so no client always goes first (or last)."""
    k %= len(items)
    return items[k:] + items[:k]


def _summaries(runs: list[dict], names: tuple, reference: str) -> tuple[dict, dict]:
    summary, ratios = {}, {}
    for name in names:
        timed = [r for r in runs if r["client"] == name and not r["warmup"]]
        if timed:
            summary[name] = {"records_per_s": stats.summarize([r["records_per_s"] for r in timed]),
                             "mib_per_s": stats.summarize([r["mib_per_s"] for r in timed])}
    ref = summary.get(reference, {}).get("records_per_s", {}).get("median")
    for name, s in summary.items():
        ratios[name] = stats.ratio(s["records_per_s"]["median"], ref)
    return summary, ratios


class Bench:
    def __init__(self, case: cases.Case, out_dir: Path):
        from lake import settings
        from lake.runtime import hdfs_client, jvm

        self.case, self.out_dir = case, out_dir
        self.s = settings.get()
        self.bootstrap = self.s.kafka_bootstrap
        self.hdfs = hdfs_client.client(self.s)
        self.java = jvm.java17_home() / "bin" / "java"
        self.kafka_lib = self.s.lib_dir / "kafka"
        self.logs = out_dir / "logs"
        self.work: Path | None = None
        self.common = case.common
        self.heap = self.common["java_heap"]

    def prepare(self) -> None:
        """The run's folder (logs/) and a private scratch dir for the payload file; after check_stack()."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))

    def check_stack(self) -> None:
        """One clear line when Kafka, HDFS or the Kafka jars are missing, before anything is created."""
        from confluent_kafka.admin import AdminClient

        try:
            AdminClient(clients.kafka_config(self.bootstrap)).list_topics(timeout=10)
        except Exception as e:  # noqa: BLE001
            raise SystemExit(f"bench-ingest: error: Kafka at {self.bootstrap} is not reachable ({e}); "
                             f"start the stack with `make up`")
        try:
            self.hdfs.status("/")
        except Exception as e:  # noqa: BLE001
            raise SystemExit(f"bench-ingest: error: WebHDFS at {self.s.webhdfs_url} is not reachable ({e}); "
                             f"start the stack with `make up`")
        if not any(self.kafka_lib.glob("kafka-tools-*.jar")):
            raise SystemExit(f"bench-ingest: error: no kafka-tools jar in {self.kafka_lib}; run `make install`")

    # ------------------------------------------------------------------ phase 1
    def producer_phase(self, box: Sandbox, records: list, payload_file: Path) -> dict:
        n, settings = self.case.producer_records, self.common["producer"]
        recs = records[:n]
        prefixes = {c: box.prefix(f"producer-{i}") for i, c in enumerate(producers.CLIENTS)}
        rounds = self.case.warmup_runs + self.case.runs
        runs = []
        with progress_bar(total=rounds * len(producers.CLIENTS), unit=" run", desc="1/3 producer runs") as bar:
            for k in range(rounds):
                for client in _rotated(producers.CLIENTS, k):
                    prefix = prefixes[client]
                    bar.set_postfix_str(client.split(":")[0].split(" (")[0])
                    if client == producers.OURS:
                        fig = producers.run_ours(recs, self.bootstrap, prefix)
                    elif client == producers.KAFKA_PYTHON:
                        fig = producers.run_kafka_python(recs, self.bootstrap, topics.names(prefix)[0], settings)
                    else:
                        fig = producers.run_producer_performance(
                            self.java, self.kafka_lib, self.heap, topics.names(prefix)[0], n, payload_file,
                            self.bootstrap, settings, self.logs / f"producer-performance-round{k}.log")
                    if fig["failed"]:
                        raise RuntimeError(f"{client}: {fig['failed']} of {n} records not acknowledged")
                    runs.append({"client": client, "round": k, "warmup": k < self.case.warmup_runs, **fig})
                    bar.update(1)
        summary, ratios = _summaries(runs, producers.CLIENTS, producers.KAFKA_TOOL)
        return {"records_per_run": n, "runs": runs, "summary": summary, "ratio_to_kafka": ratios}

    # ------------------------------------------------------------------ phase 2
    def hdfs_small_write_probe(self, box: Sandbox, count: int = 10) -> dict:
        """Context for the sink figures: how long one small WebHDFS create takes here (untimed setup)."""
        took = []
        for i in range(count):
            t0 = time.monotonic()
            self.hdfs.write(f"{box.hdfs_dir}/probe/small-{i}", data=b"x" * 1024, overwrite=True)
            took.append(time.monotonic() - t0)
        self.hdfs.delete(f"{box.hdfs_dir}/probe", recursive=True)
        return {**stats.summarize(took), "slow": sum(1 for t in took if t >= 0.3), "seconds": took}

    @staticmethod
    def validation_rate(records: list) -> dict:
        """Context: the sink's per-record check (ingestion/sink/check.py) alone, in this process, on the same payloads."""
        from ingestion.sink.raw_sink import check_payload

        t0 = time.monotonic()
        for r in records:
            check_payload(r.payload)
        seconds = time.monotonic() - t0
        return {"records": len(records), "seconds": seconds, "records_per_s": stats.rate(len(records), seconds)}

    def hdfs_close_retries(self, box: Sandbox, log_offset: int) -> dict | None:
        """Context: how many of our HDFS file closes the NameNode answered "COMMITTED but not COMPLETE".

        The writer then retries completeFile after 400 ms (the HDFS client's
        initial backoff); read from the NameNode's log lines written during this run.
        """
        log = self.s.log_dir / "namenode.log"
        try:
            with log.open("rb") as fh:
                fh.seek(log_offset)
                text = fh.read().decode(errors="replace")
        except OSError:
            return None
        closes = sum(1 for ln in text.splitlines() if "DIR* completeFile: " + box.hdfs_dir in ln)
        retried = sum(1 for ln in text.splitlines() if "COMMITTED but not COMPLETE" in ln and box.hdfs_dir in ln)
        return {"log": str(log), "file_closes": closes, "closes_retried": retried}

    def namenode_log_size(self) -> int:
        try:
            return (self.s.log_dir / "namenode.log").stat().st_size
        except OSError:
            return 0

    def consumer_phase(self, box: Sandbox, records: list) -> dict:
        n, csettings = self.case.sink_records, self.common["consumer"]
        prefix = box.prefix("sink")
        topic = topics.names(prefix)[0]
        with progress_bar(total=n, unit=" rec", desc="2/3 pre-filling the sink topic (not timed)", leave=False) as bar:
            filled = lake_producer.produce(records[:n], self.bootstrap, source="bench", prefix=prefix, progress=bar)
        if filled.produced != n:
            raise RuntimeError(f"pre-fill of {topic}: {filled.produced} of {n} records acknowledged")
        value_bytes = filled.bytes
        probe = self.hdfs_small_write_probe(box)
        validation = self.validation_rate(records[:n])
        lines_file = self.work / "sink-values.jsonl"   # what the sink lands, for HDFS's own client (untimed)
        payloads.write_payload_file(records[:n], lines_file)
        readers = (consumers.KAFKA_TOOL, consumers.CONFLUENT, consumers.KAFKA_PYTHON, sink_drain.NAME, hdfs_put.NAME)
        rounds = self.case.warmup_runs + self.case.runs
        timeout = max(300, n / 200)
        runs, put_errors = [], []
        with progress_bar(total=rounds * len(readers), unit=" run", desc="2/3 sink and consumer runs") as bar:
            for k in range(rounds):
                for reader in _rotated(readers, k):
                    bar.set_postfix_str(reader.split(" (")[0].split(":")[0])
                    if reader == consumers.KAFKA_TOOL:
                        fig = consumers.run_consumer_performance(
                            self.java, self.kafka_lib, self.heap, topic, n, value_bytes,
                            box.group(f"consumer-performance-{k}"), self.bootstrap, csettings, self.work,
                            self.logs / f"consumer-performance-round{k}.log")
                    elif reader == consumers.CONFLUENT:
                        fig = consumers.drain_confluent(self.bootstrap, topic, n, value_bytes,
                                                        box.group(f"confluent-drain-{k}"), csettings, timeout)
                    elif reader == consumers.KAFKA_PYTHON:
                        fig = consumers.drain_kafka_python(self.bootstrap, topic, n, value_bytes, csettings, timeout)
                    elif reader == hdfs_put.NAME:
                        try:
                            fig = hdfs_put.run_put(self.java, self.s.lib_dir / "hadoop", self.s.hadoop_conf_dir,
                                                   self.heap, lines_file, n, value_bytes, self.hdfs, box.hdfs_dir,
                                                   self.logs, f"round{k}")
                        except kafka_tools.ToolError as e:
                            # Context, not a goal: on a tiny drain the copy hides in the JVM's start-up.
                            put_errors.append(f"round {k}: {e}")
                            bar.update(1)
                            continue
                    else:
                        base = f"{box.hdfs_dir}/sink-round{k}"
                        fig = sink_drain.drain(self.bootstrap, topic, n, value_bytes, box.group(f"sink-{k}"), base,
                                               self.case.roll_seconds, self.case.roll_mb, self.work,
                                               self.logs / f"sink-round{k}.log", timeout)
                        if fig["sink_records"] != n or fig["sink_rejected"]:
                            raise RuntimeError(f"sink round {k} landed {fig['sink_records']} records and rejected "
                                               f"{fig['sink_rejected']}; expected {n} and 0")
                        self.hdfs.delete(base, recursive=True)   # checked; frees the space (untimed)
                    if fig["records"] < n:
                        raise RuntimeError(f"{reader}: read {fig['records']} of {n} records")
                    runs.append({"client": reader, "round": k, "warmup": k < self.case.warmup_runs, **fig})
                    bar.update(1)
        summary, ratios = _summaries(runs, readers, consumers.KAFKA_TOOL)
        return {"records": n, "value_bytes": value_bytes, "hdfs_small_write_s": probe,
                "sink_check_payload_only": validation, "runs": runs, "hdfs_put_errors": put_errors,
                "summary": summary, "ratio_to_kafka": ratios}

    # ------------------------------------------------------------------ phase 3
    def latency_phase(self, box: Sandbox, records: list) -> dict:
        count = int(self.case.latency_rate * self.case.latency_seconds)
        prefix = box.prefix("latency")
        print(f"3/3 latency: {count} tweets at {self.case.latency_rate:g}/s through a sink with "
              f"R = {self.case.roll_seconds:g} s", flush=True)
        return latency.measure(records[:count], self.bootstrap, topics.names(prefix)[0], box.group("sink-latency"),
                               self.hdfs, f"{box.hdfs_dir}/latency", self.case.latency_rate, self.case.roll_seconds,
                               self.case.roll_mb, self.common["latency"]["hdfs_poll_seconds"], self.work,
                               self.logs / "sink-latency.log", land_timeout=self.case.roll_seconds + 120)

    # ------------------------------------------------------------------ phase 4
    def mqtt_phase(self, box: Sandbox, records: list) -> dict:
        from lake.stack.mosquitto import PrivateBroker

        n = self.case.mqtt_records
        broker = PrivateBroker(self.work / "mosquitto").start()
        try:
            prefix = box.prefix("mqtt")
            rounds = self.case.warmup_runs + self.case.runs
            with progress_bar(total=rounds * len(mqtt.CLIENTS), unit=" run", desc="4/4 MQTT drains") as bar:
                out = {"throughput": mqtt.throughput(records[:n], broker, prefix, box.base, rounds,
                                                     self.case.warmup_runs, self.work, self.logs, progress=bar)}
            goal = self.common["goals"].get("mqtt_bridge_tweets_per_s", 5800)
            if out["throughput"]["summary"][mqtt.BRIDGE]["records_per_s"]["median"] < goal:
                print("4/4 MQTT: the bridge missed its goal; one more drain under cProfile (not timed)", flush=True)
                out["profile"] = mqtt.profile(records[:min(n, 20000)], broker, prefix, box.base, self.work, self.logs)
            count = int(self.case.latency_rate * self.case.mqtt_latency_seconds)
            lat_prefix = box.prefix("mqtt-latency")
            raw_topic = topics.names(lat_prefix)[0]
            mqtt_topic = f"tweets/{box.base.rstrip('.').replace('.', '-')}-latency"
            bridge = mqtt.BridgeProcess(broker.port, mqtt_topic, f"{box.base}mqtt-bridge-latency", lat_prefix,
                                        self.work / "mqtt-latency-bridge.status.json", self.logs / "mqtt-bridge-latency.log")
            positions = mqtt.KafkaPositions(self.bootstrap, raw_topic, box.group("mqtt-positions"))
            print(f"4/4 MQTT latency: {count} tweets at {self.case.latency_rate:g}/s published through the bridge "
                  f"to a sink with R = {self.case.roll_seconds:g} s", flush=True)
            bridge.start()
            positions.start()
            try:
                out["latency"] = latency.measure(
                    records[:count], self.bootstrap, raw_topic, box.group("mqtt-sink-latency"), self.hdfs,
                    f"{box.hdfs_dir}/mqtt-latency", self.case.latency_rate, self.case.roll_seconds,
                    self.case.roll_mb, self.common["latency"]["hdfs_poll_seconds"], self.work,
                    self.logs / "mqtt-sink-latency.log", land_timeout=self.case.roll_seconds + 120,
                    send=positions.publisher(broker.port, mqtt_topic, self.case.latency_rate))
                out["latency"]["ack_means"] = "the record was read back from Kafka (the bridge had delivered it)"
            finally:
                positions.stop()
                bridge.stop()
            return out
        finally:
            broker.stop()

    # ------------------------------------------------------------------ phase 5
    def replay_stream_phase(self) -> dict | None:
        """The replay of a pretty-printed array of case.replay_stream_mib MiB, written to the scratch dir
        (not timed) and deleted right after."""
        if not self.case.replay_stream_mib:
            return None
        path = self.work / "pretty-array.json"
        print(f"replay: a {self.case.replay_stream_mib} MiB pretty-printed JSON array through the replay", flush=True)
        try:
            tweets = replay_stream.write_pretty_array(path, self.case.replay_stream_mib << 20)
            return {"tweets_in_file": tweets, **replay_stream.measure(path)}
        finally:
            path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ingest.run", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="small", help=f"one of {', '.join(cases.scales())} (cases.yaml)")
    ap.add_argument("--results-root", type=Path, default=RESULTS_ROOT)
    ap.add_argument("--phases", default="producer,consumer,latency,mqtt,replay_stream",
                    help="comma-separated subset of producer,consumer,latency,mqtt,replay_stream (default: all)")
    ap.add_argument("--remove", metavar="STAMP",
                    help="only remove what the run with this stamp left behind (bench.<stamp>.* topics and groups, "
                         "/tmp/bench-ingest-<stamp>), e.g. after it was killed")
    args = ap.parse_args(argv)
    if args.remove:
        return remove(args.remove)
    case = cases.load(args.scale)

    started = datetime.now(timezone.utc)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.results_root / f"ingest-{stamp}"
    bench = Bench(case, out_dir)
    bench.check_stack()
    bench.prepare()
    box = Sandbox(bench.bootstrap, bench.hdfs, stamp.lower(), cluster_id=kafka_cluster_id(bench.bootstrap))
    java_version = kafka_tools.java_version(bench.java)
    res: dict = {"benchmark": "ingest", "scale": case.scale, "command": f"make bench-ingest SCALE={case.scale}",
                 "started_utc": started.isoformat(timespec="seconds"), "case": case.as_dict(),
                 "machine": {**machine.describe(java_version), "load_average_before": machine.load_average()},
                 "namespace": {"topic_prefix": box.base, "hdfs_dir": box.hdfs_dir}, "error": None,
                 "phases": args.phases.split(",")}
    t0 = time.monotonic()
    namenode_log_at = bench.namenode_log_size()
    print(f"bench-ingest SCALE={case.scale}: topics {box.base}*, HDFS {box.hdfs_dir}, results {out_dir}", flush=True)
    try:
        bench.hdfs.makedirs(box.hdfs_dir)
        n = max(case.producer_records, case.sink_records, int(case.latency_rate * case.latency_seconds),
                case.mqtt_records, int(case.latency_rate * case.mqtt_latency_seconds))
        records = payloads.generate(n, case.common["seed"], case.common["format"])
        payload_file = bench.work / "payloads.txt"
        res["payloads"] = {"generated": payloads.sizes(records), "payload_file": payloads.write_payload_file(
            records[:case.common["payload_file_records"]], payload_file)}
        # The host is shared (the stack, maybe other jobs): the load around each phase says how quiet it was.
        phase_load = res["machine"]["load_average_by_phase"] = {}
        for name, run_phase in (("producer", lambda: bench.producer_phase(box, records, payload_file)),
                                ("consumer", lambda: bench.consumer_phase(box, records)),
                                ("latency", lambda: bench.latency_phase(box, records)),
                                ("mqtt", lambda: bench.mqtt_phase(box, records)),
                                ("replay_stream", bench.replay_stream_phase)):
            if name not in args.phases.split(","):
                continue
            phase_load[name] = {"before": machine.load_average()}
            res[name] = run_phase()
            phase_load[name]["after"] = machine.load_average()
        res["hdfs_close_retries"] = bench.hdfs_close_retries(box, namenode_log_at)
    except BaseException as e:  # noqa: BLE001 - recorded and cleaned up; exit status 1
        res["error"] = traceback.format_exc()
        failure = e
    else:
        failure = None
    finally:
        try:
            res["cleanup"] = box.cleanup()
        except Exception:  # noqa: BLE001
            res["cleanup"] = {"errors": [traceback.format_exc()]}
        if bench.work is not None:
            shutil.rmtree(bench.work, ignore_errors=True)
        res["machine"]["load_average_after"] = machine.load_average()
        res["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        res["wall_seconds"] = time.monotonic() - t0
        res["goals"] = goals(res, case)
        try:
            res["choice"] = choice(res)
        except (KeyError, TypeError):
            res["choice"] = None
        report.store(out_dir, res)
        # ingest-latest names the latest complete run; a failed run is kept in its own folder only.
        link = point_latest(out_dir, "ingest-latest") if failure is None else None
    where = f"  (also {link})" if link else "  (ingest-latest not moved: the run failed)"
    print(f"\nreport: {out_dir / 'report.md'}{where}")
    left = {k: v for k, v in res["cleanup"].items() if k.startswith("left_over") and v}
    if res["cleanup"].get("errors") or left or res["cleanup"].get("hdfs_dir_left"):
        print(f"bench-ingest: warning: cleanup incomplete ({res['cleanup'].get('errors')}; left {left}); "
              f"retry with `python -m benchmarks.ingest.run --remove {box.stamp}`", file=sys.stderr)
    for g in res["goals"]:
        print(f"  {'met   ' if g['met'] else 'MISSED'} {g['name']}: {report.goal_measured(g)} "
              f"(target {report.goal_target(g)})")
    if failure is not None:
        print(f"bench-ingest: error: the run failed ({failure!r}); see results.json", file=sys.stderr)
        return 1
    return 0


def remove(stamp: str) -> int:
    from lake import settings
    from lake.runtime import hdfs_client

    s = settings.get()
    result = Sandbox(s.kafka_bootstrap, hdfs_client.client(s), stamp.lower()).cleanup()
    print(json.dumps(result, indent=2))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
