"""Raw-sink throughput: a fresh sink drains a pre-filled topic from offset 0 until every record is landed.

"Landed" is the sink's own definition: its committed offsets reach the topic's
high watermarks (it commits only after the files are renamed into place). The
clock starts at the sink's first partition assignment (read from its log) so
the figure compares with ConsumerPerformance's fetch time; the launch-to-landed
time (interpreter start, imports, group join) is kept beside it.
"""
from __future__ import annotations

import time
from pathlib import Path

from lake.bench import stats
from lake.bench.ingest.sink_process import CommittedOffsets, SinkProcess, SinkRoots, busy_seconds, high_watermarks, \
    roll_timeline

NAME = "ours: raw sink -> HDFS"


def drain(bootstrap: str, topic: str, count: int, value_bytes: int, group: str, hdfs_base: str,
          roll_seconds: float, roll_mb: float, workdir: Path, log_file: Path, timeout: float) -> dict:
    from lake.bench.progress import bar as progress_bar

    target = high_watermarks(bootstrap, topic)
    if sum(target.values()) != count:
        raise RuntimeError(f"{topic} holds {sum(target.values())} records, expected {count}")
    sink = SinkProcess(topic, group, SinkRoots(hdfs_base), roll_seconds, roll_mb,
                       workdir / f"{group}.status.json", log_file)
    offsets = CommittedOffsets(bootstrap, topic, group, list(target))
    final: dict = {}
    try:
        sink.start()
        with progress_bar(total=count, unit=" rec", desc="  raw sink landing", leave=False) as bar:
            while True:
                sink.check_alive()
                done = offsets.read()
                landed = sum(min(done.get(p, 0), end) for p, end in target.items())
                bar.update(landed - bar.n)
                if landed >= count:
                    landed_at = time.time()
                    break
                if time.time() - sink.launched_at > timeout:
                    raise TimeoutError(f"raw sink landed {landed}/{count} records in {timeout:.0f}s; see {log_file}")
                time.sleep(0.1)
    finally:
        final = sink.stop()
        offsets.close()
    assigned_at = sink.assigned_at()
    if assigned_at is None:
        raise RuntimeError(f"no partition assignment line in {log_file}")
    seconds = landed_at - assigned_at
    rolls = roll_timeline(log_file.read_text(errors="replace"))
    took = [end - start for start, end in rolls]
    return {"records": count, "seconds": seconds, "records_per_s": stats.rate(count, seconds),
            "mib_per_s": stats.mib_per_second(value_bytes, seconds),
            "launch_to_landed_seconds": landed_at - sink.launched_at,
            "launch_to_assigned_seconds": assigned_at - sink.launched_at,
            # Correctness beside speed: the sink's own counters after it stopped.
            "sink_records": final.get("records"), "sink_rejected": final.get("rejected"),
            "sink_files": final.get("files"), "sink_rolls": final.get("rolls"),
            # CPU from the first assignment to the stop, per thread group: on CPU, and waiting for a core.
            "sink_cpu": final.get("cpu_since_assigned"),
            # Where the time went, from the sink's log: consuming until a roll is due, then rolls (which overlap).
            "first_roll_after_assignment_seconds": rolls[0][0] - assigned_at if rolls else None,
            "rolling_seconds": sum(took), "rolling_wall_seconds": busy_seconds(rolls), "roll_seconds_median": stats.median(took) if took else None,
            "roll_seconds_max": max(took) if took else None}
