"""Produce-to-visible latency: a steady paced stream through the real sink, watched on HDFS.

For each record we keep the time produce() was called and the time its
delivery report arrived, with the partition, offset and Kafka timestamp the
report carries. A thread lists the sink's raw root over WebHDFS every
`poll` seconds and notes when each landed file was first seen; the file names
carry partition and offset range (and the folder the ingest hour, taken from
the same Kafka timestamp), so each record maps to the file that holds it
without reading any file. Files appear whole (the sink renames them into
place), so "listed" means "readable with this record in it".
"""
from __future__ import annotations

import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

from lake.bench import stats
from ingestion import producer as lake_producer
from ingestion.sink import raw_sink as sink_mod
from ingestion.records import Record
from lake.runtime import clients

NAME = "produce -> visible in HDFS"


@dataclass
class Sent:
    sent: float                     # time.monotonic() just before produce()
    acked: float | None = None      # when its delivery report was served
    partition: int = -1
    offset: int = -1
    timestamp_ms: int = 0
    error: str | None = None


class LandedFiles:
    """Maps (partition, offset, ingest slot) to the first time a listing showed the file holding it."""

    def __init__(self, topic: str):
        self.topic = topic
        self.seen: dict[str, float] = {}
        self._lock = threading.Lock()   # the watcher thread notes while the main thread looks up
        self._index: dict[tuple[str, str, int], tuple[list[int], list[tuple[int, float]]]] | None = None

    def note(self, day: str, hour: str, name: str, at: float) -> None:
        key = f"{day}/{hour}/{name}"
        with self._lock:
            if key not in self.seen:
                self.seen[key] = at
                self._index = None

    def _build(self) -> dict:
        ranges: dict[tuple[str, str, int], list[tuple[int, int, float]]] = defaultdict(list)
        with self._lock:
            seen = list(self.seen.items())
        for key, at in seen:
            day, hour, name = key.split("/", 2)
            topic, partition, first, last = sink_mod.parse_file_name(name)
            if topic == self.topic:
                ranges[(day, hour, partition)].append((first, last, at))
        index = {}
        for k, rs in ranges.items():
            rs.sort()
            index[k] = ([r[0] for r in rs], [(r[1], r[2]) for r in rs])
        return index

    def visible_at(self, partition: int, offset: int, timestamp_ms: int) -> float | None:
        index = self._index
        if index is None:
            index = self._index = self._build()
        day, hour = sink_mod.ingest_slot(timestamp_ms)
        firsts, rest = index.get((day, hour, partition), ([], []))
        i = bisect_right(firsts, offset) - 1
        if i >= 0 and offset <= rest[i][0]:
            return rest[i][1]
        return None


@dataclass
class HdfsWatcher:
    """Lists <raw_root>/ingest_date=*/ingest_hour=* on a fixed interval until stopped."""

    hdfs: object
    raw_root: str
    files: LandedFiles
    interval: float
    listings: list[tuple[float, float]] = field(default_factory=list)   # (start, end) monotonic
    errors: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hdfs-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _list_once(self) -> None:
        if self.hdfs.status(self.raw_root, strict=False) is None:
            return
        for day_dir in self.hdfs.list(self.raw_root):
            for hour_dir in self.hdfs.list(f"{self.raw_root}/{day_dir}"):
                names = self.hdfs.list(f"{self.raw_root}/{day_dir}/{hour_dir}")
                at = time.monotonic()   # the listing that showed them has returned
                day, hour = day_dir.split("=", 1)[1], hour_dir.split("=", 1)[1]
                for name in names:
                    self.files.note(day, hour, name, at)

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                self._list_once()
            except Exception:  # noqa: BLE001 - a failed listing only widens the resolution; counted
                self.errors += 1
            t1 = time.monotonic()
            self.listings.append((t0, t1))
            self._stop.wait(max(0.0, self.interval - (t1 - t0)))

    def resolution(self) -> dict:
        starts = [a for a, _ in self.listings]
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        took = [b - a for a, b in self.listings]
        return {"listings": len(self.listings), "errors": self.errors,
                "interval_median_s": stats.median(gaps) if gaps else None,
                "interval_max_s": max(gaps) if gaps else None,
                "listing_median_s": stats.median(took) if took else None}


def produce_paced(records: list[Record], bootstrap: str, topic: str, rate: float, progress=None) -> list[Sent]:
    """Send at `rate` records/s with the lake producer's settings and headers; one Sent per record."""
    from confluent_kafka import Producer

    p = Producer(clients.kafka_config(bootstrap, **{**lake_producer.PRODUCER_CONFIG}))
    sent: list[Sent] = []

    def report(entry: Sent):
        def on_delivery(err, msg):
            entry.acked = time.monotonic()
            if err is not None:
                entry.error = str(err)
            else:
                entry.partition, entry.offset = msg.partition(), msg.offset()
                entry.timestamp_ms = msg.timestamp()[1]
        return on_delivery

    t0 = time.monotonic()
    for i, r in enumerate(records):
        due = t0 + i / rate
        while (wait := due - time.monotonic()) > 0:
            p.poll(wait)          # sleeping here also serves delivery reports on time
        entry = Sent(sent=time.monotonic())
        sent.append(entry)
        p.produce(topic, value=r.payload, key=r.key.encode(),
                  headers=lake_producer._headers("bench", r.format, r.origin), on_delivery=report(entry))
        p.poll(0)
        if progress is not None:
            progress.update(1)
    left = p.flush(120)
    if left:
        raise RuntimeError(f"{left} latency-run record(s) were not acknowledged by Kafka")
    return sent


def latencies(sent: list[Sent], files: LandedFiles) -> tuple[list[float], list[float], int]:
    """(produce->visible, ack->visible) seconds for every landed record, and how many are not visible."""
    from_send, from_ack, missing = [], [], 0
    for s in sent:
        at = files.visible_at(s.partition, s.offset, s.timestamp_ms) if s.error is None else None
        if at is None:
            missing += 1
            continue
        from_send.append(at - s.sent)
        from_ack.append(at - s.acked)
    return from_send, from_ack, missing


def measure(records: list[Record], bootstrap: str, topic: str, group: str, hdfs, hdfs_base: str, rate: float,
            roll_seconds: float, roll_mb: float, poll: float, workdir, log_file, land_timeout: float,
            send=None) -> dict:
    """Start a sink (untimed), stream `records` at `rate`, wait until every record is visible, summarize.

    `send(records, progress) -> list[Sent]` replaces the paced Kafka producer (the MQTT phase
    publishes to the broker and fills each Sent's Kafka position as the bridge delivers it)."""
    from lake.bench.progress import bar as progress_bar

    from lake.bench.ingest.sink_process import SinkProcess, SinkRoots

    roots = SinkRoots(hdfs_base)
    sink = SinkProcess(topic, group, roots, roll_seconds, roll_mb, workdir / f"{group}.status.json", log_file)
    files = LandedFiles(topic)
    watcher = HdfsWatcher(hdfs, roots.raw, files, poll)
    try:
        sink.start()
        sink.wait_running()
        watcher.start()
        with progress_bar(total=len(records), unit=" rec", desc=f"  producing at {rate:.0f}/s", leave=False) as bar:
            sent = (send(records, bar) if send is not None
                    else produce_paced(records, bootstrap, topic, rate, progress=bar))
        deadline = time.monotonic() + land_timeout
        with progress_bar(total=len(sent), unit=" rec", desc="  waiting until visible on HDFS", leave=False) as bar:
            while True:
                sink.check_alive()
                _, _, missing = latencies(sent, files)
                bar.update(len(sent) - missing - bar.n)
                if missing == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    finally:
        watcher.stop()
        final = sink.stop()
    from lake.bench.ingest.sink_process import roll_timeline

    from_send, from_ack, missing = latencies(sent, files)
    took = [end - start for start, end in roll_timeline(log_file.read_text(errors="replace"))]
    if not from_send:
        raise RuntimeError(f"no latency-run record became visible on HDFS; see {log_file}")
    produced_seconds = sent[-1].sent - sent[0].sent
    ack = [s.acked - s.sent for s in sent if s.acked is not None]
    return {"records": len(sent), "visible": len(from_send), "not_visible": missing,
            "failed": sum(1 for s in sent if s.error), "target_rate": rate,
            "achieved_rate": stats.rate(len(sent) - 1, produced_seconds) if produced_seconds > 0 else None,
            "produce_seconds": produced_seconds, "roll_seconds": roll_seconds,
            "produce_to_visible_s": stats.latency_summary(from_send),
            "ack_to_visible_s": stats.latency_summary(from_ack),
            "produce_to_ack_s": stats.latency_summary(ack),
            "files_seen": len(files.seen), "hdfs_watch": watcher.resolution(),
            "sink_records": final.get("records"), "sink_files": final.get("files"), "sink_rolls": final.get("rolls"),
            "roll_seconds_median": stats.median(took) if took else None,
            "roll_seconds_max": max(took) if took else None}
