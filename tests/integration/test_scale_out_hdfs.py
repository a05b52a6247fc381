"""HDFS over two worker hosts (issue #24): a NameNode on the coordinator (the bridge address), a DataNode in each of
two network namespaces, replication factor 2, each started by `python -m lake up` with its host's cluster
description (tests/integration/mini_cluster.py). Every block has a replica on both workers; a kill -9 of one
worker's DataNode loses nothing, neither of a written file nor of a write in flight; `lake up` on that host
brings it back. Starts its own small cluster, never the shared stack's services; run it under the lock."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time

import pytest

from lake.runtime import hdfs_client, probes, process
from tests.integration.mini_cluster import MiniCluster

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

WORKERS = ("w1", "w2")
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def mc():
    with MiniCluster({w: ["datanode"] for w in WORKERS}, replication=2) as cluster:
        cluster.up("coord", "namenode")
        for w in WORKERS:
            cluster.up(w)
        s = cluster.settings("coord")
        probes.wait_for(lambda: cluster.live_datanodes(2), 120, f"two live DataNodes (NameNode log: {s.log_dir})")
        yield cluster


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cat(mc: MiniCluster, path: str) -> bytes:
    r = mc.fs_shell("-cat", f"{mc.settings('coord').hdfs_uri}{path}")
    assert r.returncode == 0, f"FsShell -cat {path}: {r.stderr.decode()[-2000:]}"
    return r.stdout


def test_workers_run_only_their_roles_on_their_own_address(mc):
    for w in WORKERS:
        s = mc.settings(w)
        assert (s.bind_host, s.node_host, s.host) == (mc.address(w), mc.address(w), mc.address("coord"))
        assert mc.pid(w, "datanode") and mc.pid(w, "namenode") is None
        assert "datanode" in mc.lake(w, "status", check=False)
    # `make up` on the coordinator probes the other hosts' roles (it starts only its own).
    out = mc.up("coord", "namenode")
    for w in WORKERS:
        assert re.search(rf"{w} datanode\s+healthy", out), out
    dn = probes.http_json(f"http://{mc.address('w1')}:{mc.settings('w1').ports['datanode_http']}"
                          f"/jmx?qry=Hadoop:service=DataNode,name=DataNodeInfo")["beans"][0]
    assert mc.address("coord") in str(dn["NamenodeAddresses"])
    # What each extra host costs: its DataNode's memory (proportional set size).
    print({f"{w} datanode MiB": round(process.rss_mb(mc.pid(w, "datanode")) or 0) for w in WORKERS},
          {"coord namenode MiB": round(process.rss_mb(mc.pid("coord", "namenode")) or 0)})


def test_every_block_on_both_workers_and_a_killed_datanode_loses_nothing(mc):
    s = mc.settings("coord")
    data = os.urandom(3 * MiB + 12345)
    path = "/it-scale-out/replicated.bin"
    hdfs_client.client(s).write(path, data, overwrite=True, blocksize=MiB)
    hosts = mc.block_hosts(path)
    assert len(hosts) == 4
    assert all(h == {mc.address(w) for w in WORKERS} for h in hosts), hosts

    victim = mc.pid("w1", "datanode")
    os.kill(victim, signal.SIGKILL)
    probes.wait_for(lambda: probes.ProbeResult(not process.pid_alive(victim), "killed"), 10, "w1's DataNode")
    # The NameNode still counts w1 live for minutes: the client meets a dead replica and reads the other.
    assert _sha(_cat(mc, path)) == _sha(data)

    # `make up` on the worker starts its DataNode again (a dead pid file is no obstacle).
    out = mc.up("w1")
    assert "datanode" in out and "started" in out
    assert _sha(_cat(mc, path)) == _sha(data)


def test_a_write_in_flight_survives_a_killed_datanode(mc, tmp_path):
    """kill -9 one worker's DataNode while Hadoop's client writes a 96 MiB file of 4 MiB blocks: the write
    completes, on the surviving worker, and reads back byte for byte."""
    s = mc.settings("coord")
    src = tmp_path / "in-flight.bin"
    src.write_bytes(os.urandom(96 * MiB))
    path = "/it-scale-out/in-flight.bin"
    mkdir = mc.fs_shell("-mkdir", "-p", f"{s.hdfs_uri}/it-scale-out")
    assert mkdir.returncode == 0, mkdir.stderr.decode()
    # A process: the kill has to land while it writes.
    writer = subprocess.Popen(mc.fs_shell_argv("-D", f"dfs.blocksize={4 * MiB}", "-put", "-f", str(src),
                                               f"{s.hdfs_uri}{path}"),
                              env=mc.env("coord"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = hdfs_client.client(s)

    def some_blocks_written() -> probes.ProbeResult:
        st = c.status(f"{path}._COPYING_", strict=False)
        return probes.ProbeResult(bool(st) and st["length"] >= 4 * MiB, f"copying status {st}")

    probes.wait_for(some_blocks_written, 120, "FsShell -put's first block", interval=0.05,
                    alive=lambda: writer.poll() is None)
    victim = mc.pid("w2", "datanode")
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, f"the write failed after the kill: {err.decode()[-2000:]}"
    assert c.status(path)["length"] == src.stat().st_size
    assert _sha(_cat(mc, path)) == _sha(src.read_bytes())
    hosts = mc.block_hosts(path)
    # Blocks written before the kill have both replicas; the rest only the survivor's (one replica until
    # a second DataNode is back: replace-datanode-on-failure is off, there is no third to replace it with).
    assert all(mc.address("w1") in h for h in hosts), hosts
    print({"blocks": len(hosts), "on both": sum(len(h) == 2 for h in hosts),
           "write finished s after kill": round(time.monotonic() - killed_at, 1)})
    mc.up("w2")
