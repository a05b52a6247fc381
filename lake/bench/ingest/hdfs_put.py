"""Context for the sink goal: how fast Hadoop's own client writes the sink's bytes into this HDFS, with no Kafka.

The raw sink cannot land records faster than HDFS takes them, and on one host
HDFS shares the cores with Kafka and the sink. Hadoop's FsShell `-put` copies
a local file (the drained records' values, one per line: the bytes the sink
lands) through the Java DFS client straight into the DataNode's write
pipeline: no Kafka, no WebHDFS, no Python. Its rate is the ceiling of any sink
on this host, whatever its language.

A JVM start and the client's set-up take about a second, as long as the copy
itself at SCALE=small. So the figure is a marginal rate: one JVM puts one
copy, another puts three (hard links of the same file), and two copies' bytes
took the difference.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from lake.bench import stats
from lake.bench.ingest import kafka_tools

NAME = "Hadoop FsShell -put (Java, HDFS only, no Kafka)"
FS_SHELL = "org.apache.hadoop.fs.FsShell"


def _put(java: Path, classpath: str, heap: str, sources: list[Path], target: str, log: Path,
         timeout: float) -> float:
    # The lake's log4j.properties logs to ${hadoop.log.dir}/${hadoop.log.file}, by default ./hadoop.log:
    # keep the client's log beside the run's other logs, not in the working directory.
    jvm_args = (f"-Dhadoop.log.dir={log.parent}", f"-Dhadoop.log.file={log.stem}.log4j.log")
    t0 = time.monotonic()
    kafka_tools.run_command(kafka_tools.jvm_command(java, classpath, heap, FS_SHELL,
                                                    ["-put", "-f", *map(str, sources), target], jvm_args),
                            FS_SHELL, log, timeout)
    return time.monotonic() - t0


def marginal_rate(one_copy_s: float, three_copies_s: float, count: int, value_bytes: int) -> dict:
    """Records/s and MiB/s of one copy's bytes, from the wall times of putting one and three copies."""
    seconds = (three_copies_s - one_copy_s) / 2
    if seconds <= 0:
        raise kafka_tools.ToolError(f"FsShell -put of three copies ({three_copies_s:.2f} s) was not slower than "
                                    f"of one ({one_copy_s:.2f} s): no marginal rate")
    return {"records": count, "seconds": seconds, "records_per_s": stats.rate(count, seconds),
            "mib_per_s": stats.mib_per_second(value_bytes, seconds),
            "one_copy_wall_s": one_copy_s, "three_copies_wall_s": three_copies_s}


def run_put(java: Path, hadoop_lib: Path, hadoop_conf: Path, heap: str, lines_file: Path, count: int,
            value_bytes: int, hdfs, hdfs_dir: str, logs: Path, tag: str) -> dict:
    """Time FsShell -put of lines_file (count records, value_bytes of values) once and three times into hdfs_dir."""
    classpath = f"{hadoop_conf}:{hadoop_lib}/*"
    copies = [lines_file]
    for i in (1, 2):
        link = lines_file.with_name(f"{lines_file.name}.copy{i}")
        if not link.exists():
            os.link(lines_file, link)
        copies.append(link)
    timeout = max(120, value_bytes / 2**20)   # 1 MiB/s would be a broken HDFS, not a slow one
    one, three = f"{hdfs_dir}/{tag}-one", f"{hdfs_dir}/{tag}-three"
    try:
        for d in (one, three):
            hdfs.makedirs(d)
        t1 = _put(java, classpath, heap, copies[:1], one, logs / f"fsshell-put-{tag}-one.log", timeout)
        t3 = _put(java, classpath, heap, copies, three, logs / f"fsshell-put-{tag}-three.log", timeout)
    finally:
        for d in (one, three):
            hdfs.delete(d, recursive=True)
    return marginal_rate(t1, t3, count, value_bytes)
