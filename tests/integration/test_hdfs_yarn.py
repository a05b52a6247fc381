"""HDFS and YARN are live, and a Spark job submitted to YARN finishes."""
from __future__ import annotations

from lake.demos import smoke
from lake.runtime import hdfs_client, probes


def _nn_jmx(s, bean):
    return probes.http_json(f"{s.webhdfs_url}/jmx?qry={bean}")["beans"][0]


def test_hdfs_has_a_datanode_and_is_out_of_safe_mode(lake):
    fs = _nn_jmx(lake, "Hadoop:service=NameNode,name=FSNamesystemState")
    assert fs["NumLiveDataNodes"] >= 1
    assert fs["FSState"] == "Operational"
    info = _nn_jmx(lake, "Hadoop:service=NameNode,name=NameNodeInfo")
    assert info["Safemode"] == ""


def test_webhdfs_round_trip(lake, sandbox):
    path = smoke.webhdfs_roundtrip(lake, sandbox.hdfs_dir)
    listing = hdfs_client.client(lake).list(sandbox.hdfs_dir)
    assert listing == ["hello.txt"] and path.endswith("hello.txt")


def test_yarn_has_a_nodemanager(lake):
    m = probes.http_json(f"http://{lake.host}:{lake.ports['rm_web']}/ws/v1/cluster/metrics")["clusterMetrics"]
    assert m["activeNodes"] >= 1
    assert m["totalMB"] >= 2048


def test_spark_job_on_yarn_finishes(lake, sandbox):
    result = smoke.spark_table(lake, sandbox.schema, rows=500, master="yarn")
    assert result == "SMOKE_RESULT rows=500 sum=187125.0"
    apps = probes.http_json(f"http://{lake.host}:{lake.ports['rm_web']}/ws/v1/cluster/apps"
                            f"?applicationTypes=SPARK")["apps"]["app"]
    mine = [a for a in apps if a["name"] == f"lake-smoke-{sandbox.schema}"]
    assert mine and mine[-1]["finalStatus"] == "SUCCEEDED"
