"""Loads cases.yaml: the settings shared by every scale, merged with one scale's counts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lake.settings import ROOT

CASES_FILE = ROOT / "benchmarks" / "ingest" / "cases.yaml"


@dataclass(frozen=True)
class Case:
    scale: str
    producer_records: int
    sink_records: int
    warmup_runs: int
    runs: int
    latency_rate: float
    latency_seconds: float
    common: dict
    replay_stream_mib: int = 0  # size of the pretty-printed array the replay streams (0: phase skipped)
    mqtt_records: int = 0
    mqtt_latency_seconds: float = 0

    @property
    def roll_seconds(self) -> float:
        return float(self.common["sink"]["roll_seconds"])

    @property
    def roll_mb(self) -> float:
        return float(self.common["sink"]["roll_mb"])

    def as_dict(self) -> dict:
        return {"scale": self.scale, "producer_records": self.producer_records, "sink_records": self.sink_records,
                "warmup_runs": self.warmup_runs, "runs": self.runs, "latency_rate": self.latency_rate,
                "latency_seconds": self.latency_seconds, "replay_stream_mib": self.replay_stream_mib,
                "mqtt_records": self.mqtt_records, "mqtt_latency_seconds": self.mqtt_latency_seconds, **self.common}


def scales(path: Path = CASES_FILE) -> list[str]:
    import yaml

    return list(yaml.safe_load(path.read_text())["scales"])


def load(scale: str, path: Path = CASES_FILE) -> Case:
    import yaml

    doc = yaml.safe_load(path.read_text())
    if scale not in doc["scales"]:
        raise SystemExit(f"make bench-ingest: error: unknown SCALE={scale!r}; use one of: {', '.join(doc['scales'])}")
    s = doc["scales"][scale]
    return Case(scale=scale, producer_records=int(s["producer_records"]), sink_records=int(s["sink_records"]),
                warmup_runs=int(s["warmup_runs"]), runs=int(s["runs"]), latency_rate=float(s["latency_rate"]),
                latency_seconds=float(s["latency_seconds"]), common=doc["common"],
                replay_stream_mib=int(s.get("replay_stream_mib", 0)),
                mqtt_records=int(s.get("mqtt_records", 0)), mqtt_latency_seconds=float(s.get("mqtt_latency_seconds", 0)))
