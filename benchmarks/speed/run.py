"""`make bench-speed`: freshness and micro-batch durations of the speed layer, on the real stack.

    python -m benchmarks.speed.run [--trigger 10] [--cases benchmarks/speed/cases.yaml]
                                   [--only freshness,compliance,throughput,floor]

1. Freshness: with a steady background load, single tweets are produced one by one and timed
   until serving.tweets answers them through Trino (lake/bench/speed/watch.py: one poller asks every
   poll_seconds for all pending ids at once). Goal: p95 <= 2 x trigger.
   Compliance (issue #22): with the same load, tweets the stream serves are deleted one at a time by an
   event produced to the sandbox's tweets.compliance (no `make comply`), each timed until serving.tweets
   no longer answers it. Goal: p95 <= 2 x trigger.
2. Throughput: input sustained at a fraction of the producer's measured maximum rate; Spark's
   own per-batch durations (durationMs.triggerExecution, from the job's progress listener).
   Goal: p95 micro-batch duration <= 50 % of the trigger at >= 20 % of the producer's max.
   Each case may first run untimed at its own rate (warmup_seconds: the JVM's JIT compilation).
3. Floor: the same job restarted without its per-record transforms (floor_stream.py), at the
   goal's rate: what Spark, Kafka, Parquet and the producer leave of the goal for the transforms.

Results: benchmarks/results/speed-<stamp>/{results.json,report.md} (and speed-latest).
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from pathlib import Path

import yaml

from lake.bench import stats
from lake.bench.report import point_latest, write_report, write_results
from lake.bench.speed.load import fresh_payloads, transforms_alone
from lake.bench.speed.report import render
from lake.bench.speed.watch import watch_serving
from lake.demos.sandbox import SpeedSandbox, ids_of, tweet_payloads
from lake.demos import smoke
from lake.pipeline import speed
from lake.runtime import clients, probes

ROOT = Path(__file__).resolve().parents[2]
RESULTS_ROOT = ROOT / "benchmarks" / "results"
SECTIONS = ("freshness", "compliance", "throughput", "floor")
FLOOR_JOB = ROOT / "lake" / "bench" / "speed" / "floor_stream.py"   # the stream without its transforms (its docstring)


def producer_max(box: SpeedSandbox, cfg: dict) -> dict:
    """Our producer's maximum rate, measured in this run on this machine (the goal is a fraction of
    it, so both numbers come from the same conditions): `runs` timed sends of `records` synthetic
    tweets with ingestion.producer.produce (acks=all, idempotent, the lake's headers) into a topic of
    its own, after one untimed warm-up. The median counts. The topic is deleted afterwards, so the
    speed layer under test never sees these records."""
    from ingestion import producer as lake_producer
    from ingestion import topics
    from ingestion.sources import synthetic

    prefix = f"it.{box.tag}pm."
    topics.ensure(box.s.kafka_bootstrap, prefix=prefix)
    records = list(synthetic.generate(cfg["records"], seed=61))
    runs = []
    try:
        for i in range(cfg["runs"] + 1):
            r = lake_producer.produce(records, box.s.kafka_bootstrap, source="bench", prefix=prefix)
            if r.failed or r.produced != len(records):
                raise RuntimeError(f"bench-speed: producer run {i} lost records ({r.failed} failed)")
            if i:  # run 0 warms the connection and the broker's log segment
                runs.append(r.produced / r.seconds)
    finally:
        for topic in topics.names(prefix):
            try:
                smoke.delete_topic(box.s, topic)
            except Exception:  # noqa: BLE001 - cleanup; the sandbox's own topics are deleted anyway
                pass
    return {"records_per_s": stats.median(runs), "runs_records_per_s": [round(x, 1) for x in runs],
            "records_per_run": len(records),
            "source": f"median of {len(runs)} timed runs of ingestion.producer.produce in this run "
                      f"({len(records):,} synthetic tweets each)"}


class Paced:
    """Produce at `rate` tweets/s in a thread (payloads recycled with fresh ids, so every tweet is new)."""

    def __init__(self, box: SpeedSandbox, rate: float, seconds: float, seed: int):
        self.box, self.rate, self.seconds = box, rate, seconds
        self.payloads = fresh_payloads(seed)
        self.sent = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        from confluent_kafka import Producer

        from ingestion.producer import PRODUCER_CONFIG

        p = Producer(clients.kafka_config(self.box.s.kafka_bootstrap, **{**PRODUCER_CONFIG}))
        t0 = time.monotonic()
        while (elapsed := time.monotonic() - t0) < self.seconds:
            due = int(elapsed * self.rate) - self.sent
            for _ in range(max(0, due)):
                key, value = next(self.payloads)
                while True:
                    try:
                        p.produce(self.box.topic, value=value, key=key)
                        break
                    except BufferError:
                        p.poll(0.05)
                self.sent += 1
            p.poll(0)
            time.sleep(0.01)  # pacing tick, not a readiness wait
        p.flush(60)


def freshness(box: SpeedSandbox, cfg: dict) -> dict:
    bg = Paced(box, cfg["background_rate"], cfg["probes"] * cfg["probe_every"] + 15, seed=21)
    bg.thread.start()
    from confluent_kafka import Producer

    p = Producer(clients.kafka_config(box.s.kafka_bootstrap, **{"linger.ms": 0, "acks": "all"}))
    template = json.loads(tweet_payloads(1, 33)[0][1])
    base = 1_800_000_000_000_000_000 + uuid.uuid4().int % 10**15
    with watch_serving(box, appear=True, poll_seconds=cfg["poll_seconds"]) as w:
        for i in range(cfg["probes"]):
            tid = base + i
            w.add(tid)
            p.produce(box.topic, value=json.dumps({**template, "id": str(tid)}).encode(), key=str(tid).encode())
            p.flush(10)
            time.sleep(cfg["probe_every"])  # spacing between probes
    bg.thread.join(timeout=120)
    lat = w.latencies
    return {"probes": cfg["probes"], "seen": len(lat), "missing": cfg["probes"] - len(lat),
            "p50_s": stats.percentile_or_none(lat, 50), "p95_s": stats.percentile_or_none(lat, 95),
            "max_s": max(lat) if lat else None,
            "background_rate": cfg["background_rate"], "poll_seconds": cfg["poll_seconds"], **_late(w)}


def compliance_latency(box: SpeedSandbox, cfg: dict) -> dict:
    """Each of `events` tweets, already served, deleted by a v2 delete event on the sandbox's tweets.compliance;
    timed from the event's acknowledgement until serving.tweets stops answering the tweet (a poller asks every
    poll_seconds for all pending ids at once), under a background load."""
    from confluent_kafka import Producer

    targets = tweet_payloads(cfg["events"], seed=71, days=1)
    ids = sorted(ids_of(targets))
    box.produce(targets)
    probes.wait_for(lambda: probes.ProbeResult(set(ids) <= box.serving_ids(), "targets not all served yet"), 300,
                    f"private speed layer (log {box.run_dir / 'speed.out'})", interval=1)
    # the compliance query's first micro-batch pays JIT and Python start-up: one untimed event first
    start = (speed.read_status(box.speed_status) or {}).get("pending_events", 0)
    p = Producer(clients.kafka_config(box.s.kafka_bootstrap, **{"linger.ms": 0, "acks": "all"}))

    def delete(tid: int) -> None:
        event = {"data": {"delete": {"tweet": {"id": str(tid)}, "event_at": "2026-12-07T00:00:00.000Z"}}}
        p.produce(box.compliance_topic, value=json.dumps(event).encode(), key=str(tid).encode())
        if p.flush(10):
            raise RuntimeError(f"bench-speed: the event deleting {tid} was not acknowledged in 10 s")

    delete(1)
    probes.wait_for(lambda: probes.ProbeResult((speed.read_status(box.speed_status) or {}).get("pending_events", 0)
                                               > start, "warm-up event not read yet"), 120,
                    f"private speed layer's compliance query (log {box.run_dir / 'speed.out'})", interval=0.5)
    bg = Paced(box, cfg["background_rate"], cfg["events"] * cfg["event_every"] + 15, seed=23)
    bg.thread.start()
    with watch_serving(box, appear=False, poll_seconds=cfg["poll_seconds"]) as w:
        for tid in ids:
            delete(tid)
            w.add(tid)
            time.sleep(cfg["event_every"])  # spacing between events
    bg.thread.join(timeout=120)
    lat = w.latencies
    return {"events": len(ids), "gone": len(lat), "missing": len(ids) - len(lat),
            "p50_s": stats.percentile_or_none(lat, 50), "p95_s": stats.percentile_or_none(lat, 95),
            "max_s": max(lat) if lat else None, "goal_ratio": cfg["goal_ratio"],
            "background_rate": cfg["background_rate"], "poll_seconds": cfg["poll_seconds"], **_late(w)}


def _late(w) -> dict:
    """The ids the watch gave up on, said once on the terminal and kept in results.json."""
    if not w.note:
        return {}
    print(f"  bench-speed: {w.note}", flush=True)
    return {"late_note": w.note}


def warm_up(box: SpeedSandbox, tweets: int) -> None:
    """A freshly started stream's first batch pays Python worker start-up and lexicon loading:
    keep it out of the timed cases."""
    target = box.end_offsets()
    warm = tweet_payloads(tweets, seed=5)
    box.produce(warm)
    box.wait_speed(target + len(warm), timeout=600)


def progress_since(box: SpeedSandbox, t_wall: float) -> list[dict]:
    out = []
    if box.progress_file.exists():
        for line in box.progress_file.read_text().splitlines():
            rec = json.loads(line)
            if rec["written_at"] >= t_wall:
                out.append(rec)
    return out


def throughput(box: SpeedSandbox, case: dict, rate: float, drain_timeout: float) -> dict:
    warm_s = case.get("warmup_seconds", 0)
    if warm_s:
        # Untimed: the first batches at volume after a start pay the JVM's JIT compilation of the
        # Kafka, Arrow and Parquet paths (5.7-5.9 s for a batch that takes 2-3.9 s once warm).
        warm = Paced(box, rate, warm_s, seed=43)
        warm.thread.start()
        warm.thread.join()
        box.wait_speed(box.end_offsets(), timeout=drain_timeout)
    target = box.end_offsets()
    t_wall = time.time()
    load = Paced(box, rate, case["seconds"], seed=41)
    t0 = time.monotonic()
    load.thread.start()
    load.thread.join()
    produce_s = time.monotonic() - t0
    target += load.sent
    drained = True
    try:
        box.wait_speed(target, timeout=drain_timeout)
    except Exception:  # noqa: BLE001 - a backlog the stream cannot clear in time is a result, not a crash
        drained = False
    batches = progress_since(box, t_wall)
    dur = [b["duration_ms"].get("triggerExecution", 0) / 1000 for b in batches]
    rows = sum(b["rows"] for b in batches)
    return {"name": case["name"], "fraction": case.get("fraction"), "rate_target": round(rate, 1), "sent": load.sent,
            "rate_achieved": round(load.sent / produce_s, 1), "drained": drained, "batches": len(batches),
            "rows_in_batches": rows, "batch_p50_s": stats.percentile_or_none(dur, 50),
            "batch_p95_s": stats.percentile_or_none(dur, 95),
            "batch_max_s": max(dur) if dur else None,
            "rows_per_s_processing": round(rows / sum(dur), 1) if dur and sum(dur) else None,
            "drain_seconds": round(time.monotonic() - t0, 1), "warmup_seconds": warm_s}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.speed.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=Path(__file__).with_name("cases.yaml"))
    ap.add_argument("--trigger", type=float, help="trigger interval, seconds (default from cases.yaml)")
    ap.add_argument("--results-root", type=Path, default=RESULTS_ROOT)
    ap.add_argument("--keep", action="store_true", help="keep the sandbox (topic, schemas, HDFS) afterwards")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)")
    args = ap.parse_args(argv)
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    if not only or set(only) - set(SECTIONS):
        ap.error(f"--only takes sections of {', '.join(SECTIONS)}; got {args.only!r}")
    cfg = yaml.safe_load(args.cases.read_text())
    T = args.trigger or cfg["trigger_seconds"]
    from lake import settings

    s = settings.get()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out_dir = args.results_root / f"speed-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    box = SpeedSandbox(s, f"bs{uuid.uuid4().hex[:8]}", trigger_seconds=T)
    import os
    import platform

    flags = (f" --trigger {T:g}" if args.trigger else "") + (f" --only {','.join(only)}" if only != list(SECTIONS) else "")
    res = {"stamp": stamp, "command": "make bench-speed" + (f" BENCH_SPEED_ARGS='{flags.strip()}'" if flags else ""),
           "trigger_seconds": T, "master": os.environ.get("LAKE_SPEED_MASTER", "local[2]"),
           "machine": f"{os.cpu_count()} cores, {platform.machine()}, load avg {os.getloadavg()[0]:.1f} at start",
           "throughput": [], "goal_ratio": cfg["throughput"]["goal_ratio"], "cores": os.cpu_count()}
    try:
        print(f"bench-speed: sandbox {box.prefix}*, topic {box.topic}; results {out_dir}", flush=True)
        box.create()
        max_rps = None
        if "throughput" in only or "floor" in only:
            print("bench-speed: producer maximum ...", flush=True)
            pm = producer_max(box, cfg["throughput"]["producer_max"])
            res.update(producer_max_rps=pm["records_per_s"], producer_max_source=pm["source"], producer_max=pm)
            print(f"  {pm['records_per_s']:,.0f} records/s {pm['runs_records_per_s']}", flush=True)
            max_rps = pm["records_per_s"]
            res["transforms_alone"] = transforms_alone(cfg["throughput"]["transforms_alone"]["records"], seed=41)
            print(f"  transforms alone: {res['transforms_alone']}", flush=True)
        box.start_speed(T)
        warm_up(box, cfg["warmup_tweets"])
        if "freshness" in only:
            print("bench-speed: freshness ...", flush=True)
            res["freshness"] = freshness(box, cfg["freshness"])
            print(f"  {res['freshness']}", flush=True)
        if "compliance" in only:
            print("bench-speed: compliance event -> gone from serving.tweets ...", flush=True)
            res["compliance"] = compliance_latency(box, cfg["compliance"])
            print(f"  {res['compliance']}", flush=True)
        def timed(case: dict, floor: bool = False) -> None:
            rate = case.get("rate") or case["fraction"] * max_rps
            print(f"bench-speed: {'floor' if floor else 'throughput'} {case['name']} at {rate:,.0f} tweets/s "
                  f"for {case['seconds']} s ...", flush=True)
            r = throughput(box, case, rate, cfg["throughput"]["drain_timeout"])
            if floor:
                r["floor"] = True
            res["throughput"].append(r)
            print(f"  {r}", flush=True)

        for case in (cfg["throughput"]["cases"] if "throughput" in only else []):
            timed(case)
        floor_cases = (cfg["throughput"].get("floor_cases") or []) if "floor" in only else []
        if floor_cases:
            print("bench-speed: restarting the stream without its transforms (floor_stream.py) ...", flush=True)
            box.stop(("speed",))
            box.start_speed(T, job=FLOOR_JOB)
            warm_up(box, cfg["warmup_tweets"])
        for case in floor_cases:
            timed(case, floor=True)
    finally:
        res["load_avg_end"] = os.getloadavg()[0]
        write_results(out_dir, res)
        if "freshness" in res or "compliance" in res:
            write_report(out_dir, render(res))
        if not args.keep:
            box.destroy()
    point_latest(out_dir, "speed-latest")
    print((out_dir / "report.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
