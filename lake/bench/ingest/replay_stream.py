"""Bench phase: a big pretty-printed JSON array streams through the replay in bounded memory.

    python -m lake.bench.ingest.replay_stream FILE      (the measured child: prints one JSON line)

The file is written once (setup, not timed): REPEAT distinct synthetic v1.1 tweets, pretty-printed,
repeated until the wanted size, so generating a GB costs seconds. The replay runs in a child process
so its peak resident memory (VmHWM) is the replay's alone, interpreter and imports included.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPEAT = 1000


def write_pretty_array(path: Path, target_bytes: int, seed: int = 7) -> int:
    """`[` + pretty-printed tweets + `]` of about target_bytes; returns how many tweets it holds."""
    from ingestion.sources import synthetic

    elements = [json.dumps(json.loads(r.payload), ensure_ascii=False, indent=2).encode()
                for r in synthetic.generate(REPEAT, seed=seed, fmt="v1")]
    written, count = 0, 0
    with open(path, "wb") as f:
        f.write(b"[\n")
        while written < target_bytes:
            for element in elements:
                f.write(b",\n" if count else b"")
                f.write(element)
                written += len(element) + 2
                count += 1
                if written >= target_bytes:
                    break
        f.write(b"\n]\n")
    return count


def measure(path: Path, timeout: float = 3600) -> dict:
    """Replay the file in a child process: tweets, rejects, seconds, MiB/s and peak RSS (MiB)."""
    out = subprocess.run([sys.executable, "-m", "lake.bench.ingest.replay_stream", str(path)],
                         capture_output=True, text=True, timeout=timeout, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["file_mib"] = round(path.stat().st_size / 2**20, 1)
    result["mib_per_s"] = round(result["file_mib"] / result["seconds"], 1) if result["seconds"] else None
    return result


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(path: str) -> None:
    from ingestion.records import Record
    from ingestion.sources.replay import ReplayStats, replay

    stats = ReplayStats()
    t0 = time.monotonic()
    payload_bytes = 0
    for item in replay([path], stats=stats):
        if isinstance(item, Record):
            payload_bytes += len(item.payload)
    seconds = time.monotonic() - t0
    print(json.dumps({"tweets": stats.produced, "rejected": stats.rejected, "seconds": round(seconds, 2),
                      "payload_mib": round(payload_bytes / 2**20, 1), "peak_rss_mib": round(peak_rss_mib(), 1),
                      "shapes": dict(stats.streams_by_shape)}))


if __name__ == "__main__":
    _child(sys.argv[1])
