"""YARN over two worker hosts (issue #24): a ResourceManager (and NameNode) on the coordinator, a NodeManager and a
DataNode in each of two network namespaces, started by `python -m lake up` with the host's cluster description
(tests/integration/mini_cluster.py). A Spark application submitted the lake's way (lake/runtime/spark.py) runs
executors in containers on both NodeManagers. Each worker offers YARN 2304 MB: an executor container (1536 MB)
and the application master (768 MB) fit on one, two executors do not, so the two executors must land on two
hosts. Starts its own small cluster, never the shared stack's services; run it under the lock."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from lake.runtime import probes, process, spark
from tests.integration.mini_cluster import MiniCluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

WORKERS = ("w1", "w2")
JOB = Path(__file__).with_name("spark_hosts_job.py")
SMALL = {"spark.executor.instances": "2", "spark.executor.memory": "1152m", "spark.executor.cores": "1",
         "spark.yarn.am.memory": "384m", "spark.sql.catalogImplementation": "in-memory",
         "spark.scheduler.minRegisteredResourcesRatio": "1.0",
         "spark.scheduler.maxRegisteredResourcesWaitingTime": "180s"}


@pytest.fixture(scope="module")
def mc():
    roles = {w: ["datanode", "nodemanager"] for w in WORKERS}
    with MiniCluster(roles, replication=2, yarn_memory_mb=2304, yarn_vcores=2) as cluster:
        cluster.up("coord", "namenode", "resourcemanager")
        for w in WORKERS:
            cluster.up(w)  # its DataNode, its NodeManager, and the post-steps (HDFS folders, Spark's jars)
        yield cluster


def test_each_worker_nodemanager_registers_under_its_own_address(mc):
    s = mc.settings("coord")
    nodes = probes.http_json(f"http://{s.host}:{s.ports['rm_web']}/ws/v1/cluster/nodes")["nodes"]["node"]
    running = {n["nodeHostName"]: n for n in nodes if n["state"] == "RUNNING"}
    assert set(running) == {mc.address(w) for w in WORKERS}, nodes
    assert all(n["availMemoryMB"] + n["usedMemoryMB"] == 2304 for n in running.values())
    out = mc.up("coord", "namenode", "resourcemanager")  # probes the workers' roles, starts nothing there
    for w in WORKERS:
        assert re.search(rf"{w} nodemanager\s+healthy", out) and re.search(rf"{w} datanode\s+healthy", out), out
    print({f"{w} {svc} MiB": round(process.rss_mb(mc.pid(w, svc)) or 0)
           for w in WORKERS for svc in ("datanode", "nodemanager")},
          {f"coord {svc} MiB": round(process.rss_mb(mc.pid("coord", svc)) or 0)
           for svc in ("namenode", "resourcemanager")})


def test_a_spark_application_runs_containers_on_both_nodemanagers(mc):
    out = spark.submit(mc.settings("coord"), JOB, master="yarn", extra_conf=SMALL, timeout=600)
    (line,) = [ln for ln in out.splitlines() if ln.startswith("== hosts ")]
    hosts = json.loads(line.removeprefix("== hosts "))
    workers = [mc.address(w) for w in WORKERS]
    assert hosts["task_nm_hosts"] == workers, hosts
    assert hosts["executors"] == workers, hosts
    assert hosts["driver"] == mc.address("coord")
