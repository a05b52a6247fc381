"""Hadoop: the HDFS NameNode and DataNode, the YARN ResourceManager and NodeManager."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lake.errors import LakeError
from lake.runtime import jvm, probes, process
from lake.runtime.probes import ProbeResult
from lake.stack.service import Service


class HadoopDaemon(Service):
    main_class = ""

    @property
    def lib(self) -> Path:
        return self.s.lib_dir / "hadoop"

    def argv(self) -> list[str]:
        return self.java_argv(
            self.main_class,
            jvm.classpath(self.s.hadoop_conf_dir, self.s.root / "hadoop-cluster" / "ui", f"{self.lib}/*"),
            opts=[f"-Dhadoop.log.dir={self.s.log_dir}", f"-Dhadoop.log.file={self.name}.log",
                  f"-Dhadoop.home.dir={self.lib}", f"-Dyarn.log.dir={self.s.log_dir}",
                  f"-Dhadoop.id.str={self.s.user}", "-Dhadoop.security.logger=INFO,NullAppender",
                  f"-Dlog4j.configuration=file:{self.s.hadoop_conf_dir}/log4j.properties"],
        )

    def _jmx(self, bean: str) -> dict:
        url = f"http://{self.s.host}:{self.s.ports['namenode_http']}/jmx?qry={bean}"
        beans = probes.http_json(url).get("beans", [])
        return beans[0] if beans else {}


class NameNode(HadoopDaemon):
    name = "namenode"
    port_keys = ("namenode_rpc", "namenode_http")
    web_port_key = "namenode_http"
    main_class = "org.apache.hadoop.hdfs.server.namenode.NameNode"

    def prepare(self) -> None:
        # Format exactly once: a VERSION file means the namespace exists, and
        # -nonInteractive makes the NameNode itself refuse to re-format as well.
        if (self.s.data_dir / "hdfs/name/current/VERSION").exists():
            return
        argv = self.java_argv(self.main_class, jvm.classpath(self.s.hadoop_conf_dir, f"{self.lib}/*"),
                              args=["-format", "-nonInteractive", "-clusterid", "lake"],
                              opts=[f"-Dhadoop.log.dir={self.s.log_dir}", f"-Dhadoop.log.file={self.name}-format.log",
                                    f"-Dhadoop.home.dir={self.lib}",
                                    f"-Dlog4j.configuration=file:{self.s.hadoop_conf_dir}/log4j.properties"])
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            log = self.s.log_dir / f"{self.name}-format.log"
            raise LakeError(f"namenode: format failed (log: {log})", process.tail(log, 20))

    def probe(self) -> ProbeResult:
        try:
            status = self._jmx("Hadoop:service=NameNode,name=NameNodeStatus")
        except Exception as e:  # noqa: BLE001 - any failure means "not ready yet"
            return ProbeResult(False, f"NameNode JMX not answering ({e})")
        rpc = probes.port_open(self.s.host, self.s.ports["namenode_rpc"])
        return ProbeResult(bool(status.get("State")) and rpc.ok, f"state={status.get('State')}; {rpc.detail}")


class DataNode(HadoopDaemon):
    name = "datanode"
    port_keys = ("datanode_http", "datanode_data", "datanode_ipc")
    web_port_key = "datanode_http"
    main_class = "org.apache.hadoop.hdfs.server.datanode.DataNode"

    def probe(self) -> ProbeResult:
        """Ready means HDFS is usable: this DataNode has registered with the NameNode
        (asked of the DataNode itself: after a kill -9 the NameNode still counts the
        dead one as live for minutes) and the NameNode has left safe mode."""
        try:
            dn = probes.http_json(f"http://{self.address}:{self.s.ports['datanode_http']}"
                                  f"/jmx?qry=Hadoop:service=DataNode,name=DataNodeInfo")["beans"]
            fs = self._jmx("Hadoop:service=NameNode,name=FSNamesystemState")
        except Exception as e:  # noqa: BLE001
            return ProbeResult(False, f"DataNode/NameNode JMX not answering ({e})")
        registered = bool(dn) and '"RUNNING"' in str(dn[0].get("BPServiceActorInfo", ""))
        live, state = fs.get("NumLiveDataNodes", 0), fs.get("FSState")
        return ProbeResult(registered and live >= 1 and state == "Operational",
                           f"registered={registered}, live datanodes={live}, fs state={state}")


class ResourceManager(HadoopDaemon):
    name = "resourcemanager"
    port_keys = ("rm", "rm_scheduler", "rm_tracker", "rm_admin", "rm_web")
    web_port_key = "rm_web"
    web_path = "/cluster"
    main_class = "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager"

    def probe(self) -> ProbeResult:
        url = f"http://{self.s.host}:{self.s.ports['rm_web']}/ws/v1/cluster/info"
        return probes.http_check(url, lambda b: (b["clusterInfo"]["state"] == "STARTED",
                                                 f"RM state={b['clusterInfo']['state']}"))


class NodeManager(HadoopDaemon):
    name = "nodemanager"
    port_keys = ("nm", "nm_localizer", "nm_web")
    web_port_key = "nm_web"
    web_path = "/node"
    main_class = "org.apache.hadoop.yarn.server.nodemanager.NodeManager"

    def env(self) -> dict[str, str]:
        env = super().env()
        # Spark executors started in YARN containers must find the same Python.
        env["PYSPARK_PYTHON"] = sys.executable
        return env

    def probe(self) -> ProbeResult:
        """Ready means this NodeManager (its node id, asked of itself) is RUNNING at the ResourceManager: with
        several hosts (cluster.toml) another host's node must not count."""
        try:
            node = probes.http_json(f"http://{self.address}:{self.s.ports['nm_web']}/ws/v1/node/info")["nodeInfo"]
            nodes = probes.http_json(f"http://{self.s.host}:{self.s.ports['rm_web']}/ws/v1/cluster/nodes")
        except Exception as e:  # noqa: BLE001 - any failure means "not ready yet"
            return ProbeResult(False, f"NodeManager/ResourceManager REST not answering ({e})")
        states = {n["id"]: n["state"] for n in (nodes.get("nodes") or {}).get("node", [])}
        state = states.get(node["id"], "not registered")
        return ProbeResult(state == "RUNNING", f"node {node['id']}: {state}; {len(states)} node(s) at the RM")
