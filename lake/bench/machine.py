"""What the figures were measured on: CPU, memory, load, and every version that matters."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def _meminfo() -> dict[str, int]:
    out = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, value = line.split(":", 1)
            if name in ("MemTotal", "MemAvailable"):
                out[name] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe(java_version: str | None) -> dict:
    import confluent_kafka
    import kafka

    from lake import versions

    mem = _meminfo()
    return {
        "nproc": os.cpu_count(), "cpu_model": _cpu_model(),
        "memory_total_gib": round(mem.get("MemTotal", 0) / 2**30, 1),
        "memory_available_gib": round(mem.get("MemAvailable", 0) / 2**30, 1),
        "kernel": platform.release(), "python": platform.python_version(), "java": java_version,
        "client_libraries": {"confluent-kafka": confluent_kafka.__version__,
                             "librdkafka": confluent_kafka.libversion()[0], "kafka-python": kafka.__version__},
        "lake_versions": versions.load(),
    }
