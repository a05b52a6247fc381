"""bench-ingest's MQTT phase: the bridge (ingestion/mqtt_bridge) against the broker's own fan-out.

Throughput: a backlog of N tweets is published (untimed) while two persistent sessions are
subscribed, the bridge's and a `mosquitto_sub` reader's; each then drains the same N messages, timed
alone: mosquitto_sub from its start to its N-th message (it only prints them), the bridge from its
first message in to its last acknowledgement (each sent after Kafka's delivery report). The
mosquitto_sub rate is the ceiling; the report gives the ratio. Latency: a paced stream published
through the running bridge to a sink of its own, publish -> file listed on HDFS
(lake/bench/ingest/latency.py). Broker: the stack's config on a private port and var dir
(lake.stack.mosquitto.PrivateBroker), so the stack's own bridge never sees the bench's messages.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ingestion.mqtt_bridge import status as bridge_status
from ingestion.sources import mqtt
from lake.bench import stats
from lake.bench.ingest.latency import Sent
from lake.runtime import probes
from lake.settings import ROOT
from lake.runtime import clients

BRIDGE = "mqtt bridge (MQTT -> Kafka, ack after delivery)"
SUB = "mosquitto_sub (broker fan-out, ceiling)"
CLIENTS = (SUB, BRIDGE)


class BridgeProcess:
    """`python -m ingestion.mqtt_bridge` on the private broker and the bench's Kafka topics."""

    def __init__(self, port: int, topic: str, client_id: str, kafka_prefix: str, status_file: Path, log_file: Path,
                 profile: Path | None = None):
        self.port, self.topic, self.client_id, self.kafka_prefix = port, topic, client_id, kafka_prefix
        self.status_file, self.log_file, self.profile = status_file, log_file, profile
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self.status_file.unlink(missing_ok=True)
        prof = ["-m", "cProfile", "-o", str(self.profile)] if self.profile else []
        argv = [sys.executable, *prof, "-m", "ingestion.mqtt_bridge", "--mqtt-port", str(self.port),
                "--topic", self.topic, "--client-id", self.client_id, "--kafka-prefix", self.kafka_prefix,
                "--status-file", str(self.status_file), "--status-every", "0.2"]
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=open(self.log_file, "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        probes.wait_for(lambda: bridge_status.probe(self.status_file, pid=self.proc.pid), timeout,
                        f"bench mqtt bridge (log {self.log_file})", interval=0.1,
                        alive=lambda: self.proc.poll() is None)

    def status(self) -> dict:
        return bridge_status.read(self.status_file) or {}

    def wait_acked(self, n: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while (st := self.status()).get("acked", 0) < n:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the bench bridge exited ({self.proc.returncode}); see {self.log_file}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bench bridge acknowledged {st.get('acked', 0)} of {n} in {timeout:.0f}s; "
                                   f"see {self.log_file}")
            time.sleep(0.05)
        return st

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def sub_argv(port: int, topic: str, client_id: str) -> list[str]:
    # -c: a persistent session (MQTT 3.1.1 clean session off), as the bridge's.
    return ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", "1", "-c", "-i", client_id]


def sub_subscribe(port: int, topic: str, client_id: str) -> None:
    """Create mosquitto_sub's session and subscription, then leave (-E), so the broker queues for it."""
    subprocess.run([*sub_argv(port, topic, client_id), "-E"], check=True, timeout=30, capture_output=True)


def sub_drain(port: int, topic: str, client_id: str, n: int, timeout: float) -> dict:
    t0 = time.monotonic()
    r = subprocess.run([*sub_argv(port, topic, client_id), "-C", str(n)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=timeout)
    seconds = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"mosquitto_sub failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return {"records": n, "seconds": seconds, "records_per_s": stats.rate(n, seconds)}


def bridge_drain(bridge: BridgeProcess, n: int, timeout: float) -> dict:
    bridge.start()
    try:
        st = bridge.wait_acked(n, timeout)
    finally:
        bridge.stop()
    seconds = st["last_ack_at"] - st["first_in_at"]
    return {"records": st["acked"], "seconds": seconds, "records_per_s": stats.rate(st["acked"], seconds),
            "delivered": st["delivered"], "rejected": st["rejected"], "failed": st["failed"]}


def throughput(records: list, broker, kafka_prefix: str, base: str, rounds: int, warmup: int, work: Path,
               logs: Path, progress=None) -> dict:
    topic = f"tweets/{base.rstrip('.').replace('.', '-')}"
    sub_id, bridge_id = f"{base}mosquitto-sub", f"{base}mqtt-bridge"
    bridge = BridgeProcess(broker.port, topic, bridge_id, kafka_prefix, work / "mqtt-bridge.status.json",
                           logs / "mqtt-bridge.log")
    # Both sessions exist (and are empty) before the first backlog is published.
    bridge.start()
    bridge.stop()
    sub_subscribe(broker.port, topic, sub_id)
    n = len(records)
    timeout = max(300, n / 200)
    runs = []
    for k in range(rounds):
        published = mqtt.publish(records, "127.0.0.1", broker.port, topic)   # the backlog, untimed
        if published.published != n:
            raise RuntimeError(f"backlog round {k}: the broker acknowledged {published.published} of {n}")
        order = CLIENTS if k % 2 == 0 else CLIENTS[::-1]
        for client in order:
            if client == SUB:
                fig = sub_drain(broker.port, topic, sub_id, n, timeout)
            else:
                fig = bridge_drain(bridge, n, timeout)
                if fig["delivered"] + fig["rejected"] != n or fig["failed"]:
                    raise RuntimeError(f"bridge round {k}: {fig}")
            runs.append({"client": client, "round": k, "warmup": k < warmup, **fig})
            if progress is not None:
                progress.update(1)
    summary = {}
    for client in CLIENTS:
        timed = [r["records_per_s"] for r in runs if r["client"] == client and not r["warmup"]]
        summary[client] = {"records_per_s": stats.summarize(timed)}
    ratio = stats.ratio(summary[BRIDGE]["records_per_s"]["median"], summary[SUB]["records_per_s"]["median"])
    return {"records_per_run": n, "topic": topic, "runs": runs, "summary": summary, "bridge_over_sub": ratio}


def profile(records: list, broker, kafka_prefix: str, base: str, work: Path, logs: Path, top: int = 25) -> dict:
    """One more bridge drain under cProfile (untimed): where the bridge's time goes."""
    import io
    import pstats

    topic = f"tweets/{base.rstrip('.').replace('.', '-')}"
    out = logs / "mqtt-bridge.prof"
    bridge = BridgeProcess(broker.port, topic, f"{base}mqtt-bridge", kafka_prefix, work / "mqtt-bridge.status.json",
                           logs / "mqtt-bridge-profile.log", profile=out)
    mqtt.publish(records, "127.0.0.1", broker.port, topic)
    fig = bridge_drain(bridge, len(records), max(300, len(records) / 100))
    text = io.StringIO()
    pstats.Stats(str(out), stream=text).sort_stats("tottime").print_stats(top)
    (logs / "mqtt-bridge-profile.txt").write_text(text.getvalue())
    return {"records_per_s_profiled": fig["records_per_s"], "file": str(logs / "mqtt-bridge-profile.txt"),
            "top_tottime": _top(out, top)}


def _top(prof: Path, top: int) -> list[dict]:
    import pstats

    st = pstats.Stats(str(prof))
    total = st.total_tt
    rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return [{"function": f"{Path(f).name}:{line}({name})", "calls": nc, "tottime_s": round(tt, 3),
             "share": round(tt / total, 3) if total else None}
            for (f, line, name), (cc, nc, tt, ct, callers) in rows]


class KafkaPositions:
    """Fills each Sent with its Kafka partition, offset and timestamp as the bridge delivers it
    (read back from the topic by key); `acked` becomes the time it was seen in Kafka."""

    def __init__(self, bootstrap: str, topic: str, group: str):
        self.bootstrap, self.topic, self.group = bootstrap, topic, group
        self.by_key: dict[bytes, Sent] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafka-positions", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        from confluent_kafka import Consumer

        c = Consumer(clients.kafka_config(self.bootstrap, **{"group.id": self.group,
                      "auto.offset.reset": "earliest", "enable.auto.commit": False}))
        c.subscribe([self.topic])
        try:
            while not self._stop.is_set():
                for m in c.consume(1000, 0.2):
                    if m.error():
                        continue
                    entry = self.by_key.get(m.key())
                    if entry is not None and entry.partition < 0:
                        entry.partition, entry.offset, entry.timestamp_ms = m.partition(), m.offset(), m.timestamp()[1]
                        entry.acked = time.monotonic()
        finally:
            c.close()

    def publisher(self, port: int, mqtt_topic: str, rate: float):
        """The `send` for latency.measure: publish paced, one Sent per record."""
        from ingestion.sources.pacing import paced

        def send(records, progress) -> list[Sent]:
            sent: list[Sent] = []

            def stamped():
                for r in paced(records, rate):
                    entry = Sent(sent=time.monotonic())
                    self.by_key[r.key.encode()] = entry
                    sent.append(entry)
                    yield r

            stats_ = mqtt.publish(stamped(), "127.0.0.1", port, mqtt_topic, progress=progress)
            if stats_.published != len(records):
                raise RuntimeError(f"latency run: the broker acknowledged {stats_.published} of {len(records)}")
            return sent
        return send
