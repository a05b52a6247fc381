"""CPU time of this process and of its threads, from Linux's /proc: where a busy process's time went.

Per thread, two clocks: time on a CPU, and time runnable but waiting for a CPU
(the scheduler's run-queue wait, /proc/<pid>/task/<tid>/schedstat). When a
thread is slower than its CPU time explains, the second tells a host short of
cores (a long run-queue wait) from a thread that was blocked (on a lock, on
I/O). The raw sink reports both for its drain (bench-ingest prints them).

Threads are grouped by name: "main" for the interpreter's main thread,
librdkafka's by their own names (rdk:broker1, rdk:main, ...), and every other
Python thread under "python threads" (CPython 3.11 does not name OS threads).
Threads that have ended are missing from the groups but counted in the
process's total. On a system without /proc every figure is absent (empty dicts).
"""
from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc/self")


def _cpu_seconds(stat: Path, tick: float) -> float:
    """utime + stime of a process or thread (the name in parentheses may hold spaces: split after it)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def _thread(task: Path, tick: float) -> tuple[str, float, float] | None:
    try:
        name = (task / "comm").read_text().strip()
        cpu = _cpu_seconds(task / "stat", tick)
        wait_ns = int((task / "schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):   # the thread ended while being read, or no schedstat
        return None
    return name, cpu, wait_ns / 1e9


def snapshot(proc: Path = _PROC) -> dict:
    """{"process_cpu_s": s, "threads": {tid: (name, cpu_s, runq_wait_s)}}; {} without /proc."""
    try:
        tick = float(os.sysconf("SC_CLK_TCK"))
        process_cpu = _cpu_seconds(proc / "stat", tick)
        tasks = list((proc / "task").iterdir())
    except (OSError, ValueError, IndexError):
        return {}
    threads = {}
    for task in tasks:
        got = _thread(task, tick)
        if got is not None:
            threads[task.name] = got
    return {"process_cpu_s": process_cpu, "threads": threads, "pid": proc.resolve().name}


def group_name(tid: str, name: str, pid: str) -> str:
    if tid == pid:
        return "main"
    return name if name.startswith("rdk:") else "python threads"


def since(before: dict, after: dict) -> dict:
    """What the process used between two snapshots, threads grouped by name (group_name)."""
    if not before or not after:
        return {}
    groups: dict[str, dict[str, float]] = {}
    for tid, (name, cpu, wait) in after["threads"].items():
        cpu0, wait0 = before["threads"].get(tid, (name, 0.0, 0.0))[1:]
        g = groups.setdefault(group_name(tid, name, after["pid"]), {"cpu_s": 0.0, "runq_wait_s": 0.0})
        g["cpu_s"] += cpu - cpu0
        g["runq_wait_s"] += wait - wait0
    return {"process_cpu_s": after["process_cpu_s"] - before["process_cpu_s"],
            "threads": {k: {m: round(v, 3) for m, v in g.items()} for k, g in sorted(groups.items())}}
