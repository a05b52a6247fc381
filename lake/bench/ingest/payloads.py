"""The records every phase sends: synthetic v2 tweets, generated once, in memory, before any timing."""
from __future__ import annotations

from pathlib import Path

from lake.bench import stats
from ingestion.sources import synthetic
from ingestion.records import Record


def generate(count: int, seed: int, fmt: str) -> list[Record]:
    from lake.bench.progress import bar as progress_bar

    return list(progress_bar(synthetic.generate(count, seed=seed, fmt=fmt), total=count, unit=" tweets",
                     desc="generating synthetic payloads (not timed)", leave=False))


def sizes(records: list[Record]) -> dict:
    lengths = [len(r.payload) for r in records]
    return {"records": len(lengths), "total_bytes": sum(lengths), "mean_bytes": sum(lengths) / len(lengths),
            "median_bytes": stats.median(lengths), "min_bytes": min(lengths), "max_bytes": max(lengths)}


def write_payload_file(records: list[Record], path: Path) -> dict:
    """One payload per line for ProducerPerformance --payload-file (payloads never hold a raw newline)."""
    with path.open("wb") as fh:
        for r in records:
            if b"\n" in r.payload:
                raise ValueError(f"payload {r.origin} holds a newline; it would split into two perf-tool records")
            fh.write(r.payload + b"\n")
    return {"path": str(path), **sizes(records)}
