"""A small lake cluster of its own for the scale-out tests (issue #24): a coordinator on the bridge address of
tests/integration/netns.py and worker hosts in network namespaces, each started by `python -m lake up` with
its own cluster description, var dir and ports: the same code and the same commands a real host runs.

Nothing here touches the shared stack: its own cluster.toml and var dirs under a temporary folder named
`<prefix>-cluster-*` (the JVM artifacts are the installed ones, linked read-only), Hadoop's and Kafka's ports
moved by PORT_OFFSET (LAKE_PORT_<NAME>) and bound to the bridge's and the namespaces' addresses only. Teardown always
runs, and a run that crashed is cleaned up by the next one (its daemons found by their pid files under the
folder's prefix, each checked to be the lake's daemon of that folder before it is killed).
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from lake import cluster, settings
from lake.runtime import jvm, probes, process
from lake.settings import Settings
from lake.stack.hadoop import DataNode, NameNode, NodeManager, ResourceManager
from lake.stack.kafka import Kafka
from lake.stack import trino as trino_stack
from lake.stack.trino import Trino, TrinoWorker
from tests.integration import netns

# Hadoop's, Kafka's and Trino's ports + 20000: clear of the shared stack's and below the kernel's ephemeral range
# (32768-).
PORT_OFFSET = 20000
PORT_KEYS = tuple(dict.fromkeys(k for cls in (NameNode, DataNode, ResourceManager, NodeManager, Kafka, Trino, TrinoWorker)
                                for k in cls.port_keys))


def port_env() -> dict[str, str]:
    return {f"LAKE_PORT_{k.upper()}": str(settings.DEFAULT_PORTS[k] + PORT_OFFSET) for k in PORT_KEYS}




def stop_leftovers(prefix: str = netns.PREFIX) -> list[str]:
    """Kill the daemons a crashed run left in the root namespace and remove its folders. A pid counts only
    when the process is the lake's daemon of that name (its marker) and its command line names the folder."""
    removed = []
    for box in glob.glob(os.path.join(tempfile.gettempdir(), f"{prefix}-cluster-*")):
        for pid_file in glob.glob(os.path.join(box, "*", "run", "*.pid")):
            try:
                pid = int(Path(pid_file).read_text().strip())
            except ValueError:
                continue
            if process.is_ours(pid, Path(pid_file).stem) and box in process.cmdline(pid):
                os.kill(pid, signal.SIGKILL)
                removed.append(f"pid {pid}")
        shutil.rmtree(box, ignore_errors=True)
        removed.append(box)
    return removed


class MiniCluster:
    """`with MiniCluster({"w1": ["datanode"], "w2": ["datanode"]}, replication=2) as mc:` makes the
    namespaces, writes the cluster description (coordinator `coord` on the bridge address), and starts
    nothing yet: `mc.up("coord", "namenode")`, `mc.up("w1")` start roles as `make up` would on that host."""

    def __init__(self, workers: dict[str, list[str]], replication: int = 1, prefix: str = netns.PREFIX,
                 yarn_memory_mb: int | None = None, yarn_vcores: int | None = None,
                 env: dict[str, str] | None = None):
        self.workers = workers
        self.extra_env = dict(env or {})  # on every host, e.g. LAKE_SINK_ROLL_SECONDS for the raw sink
        self.replication = replication
        self.yarn = {"yarn_memory_mb": yarn_memory_mb, "yarn_vcores": yarn_vcores}  # each worker's offer
        self.prefix = prefix
        self.net = netns.Netns(list(workers), prefix=prefix)
        self.box: Path | None = None
        self.description: cluster.Cluster | None = None

    # ---- set-up and teardown ----
    def __enter__(self) -> MiniCluster:
        stop_leftovers(self.prefix)
        try:
            self.net.__enter__()
            self.box = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-cluster-"))
            hosts = [cluster.Host("coord", self.net.bridge_address, (cluster.COORDINATOR,))]
            hosts += [cluster.Host(h.name, h.address, tuple(self.workers[h.name]), **self.yarn)
                      for h in self.net.hosts]
            self.description = cluster.Cluster(tuple(hosts), self.replication)
            (self.box / "cluster.toml").write_text(cluster.dumps(self.description))
            installed = settings.load(dict(os.environ)).lib_dir
            for h in hosts:
                (self.box / h.name).mkdir()
                trino_stack.link_artifacts(installed, self.box / h.name / "lib")  # the JVM artifacts, as installed
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self.box and self.box.exists():
                self.lake("coord", "down", check=False)  # the root namespace's daemons, by their pid files
        finally:
            self.net.close()  # every process inside the namespaces
            stop_leftovers(self.prefix)

    # ---- hosts ----
    def env(self, host: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKE_PORT_")}
        env.update(port_env())
        env.update({"LAKE_CLUSTER": str(self.box / "cluster.toml"), "LAKE_HOST": host,
                    "LAKE_VAR_DIR": str(self.box / host), "LAKE_AIRFLOW_SCHEDULE": "keep"})
        env.update(self.extra_env)
        return env

    def settings(self, host: str) -> Settings:
        return settings.load(self.env(host))

    def argv(self, host: str, *argv: str) -> list[str]:
        """argv as it runs on `host`: inside its namespace for a worker, as is for the coordinator."""
        return list(argv) if host == "coord" else self.net.host(host).argv(*argv)

    def lake(self, host: str, *args: str, check: bool = True, timeout: float = 300) -> str:
        """`python -m lake <args>` on `host`, from this checkout, with the host's environment."""
        r = subprocess.run(self.argv(host, sys.executable, "-m", "lake", *args), env=self.env(host),
                           cwd=settings.ROOT, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"lake {' '.join(args)} on {host} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def ingest(self, *args: str) -> tuple[subprocess.Popen, Path]:
        """`make ingest` on the coordinator (`python -m ingestion <args>`, the Makefile's command) as a process, so
        a test can act on the cluster while it runs; its output (progress bar, reconciliation) goes to a file,
        never to a pipe nobody reads until the end (a full pipe would stall the producer)."""
        out = self.settings("coord").log_dir / "ingest.out"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w") as fh:
            proc = subprocess.Popen([sys.executable, "-m", "ingestion", *args], env=self.env("coord"),
                                    cwd=settings.ROOT, stdout=fh, stderr=subprocess.STDOUT, text=True)
        return proc, out

    def up(self, host: str, *services: str) -> str:
        return self.lake(host, "up", *services)

    def pid(self, host: str, service: str) -> int | None:
        return process.Daemon(service, self.settings(host).run_dir, Path("/dev/null")).pid()

    def copy_trino_secrets(self, host: str) -> list[str]:
        """What a real Trino worker host gets from the coordinator over SSH (docs/scale-out.md): the TLS pair, the
        shared secret and the lake's login, the files TrinoWorker.copied_files names, mode 0600 in 0700 folders."""
        src, dst = self.settings("coord"), self.settings(host)
        copied = []
        for target in TrinoWorker(dst).copied_files():
            rel = target.relative_to(dst.var)
            for d in (target.parent, dst.secrets_dir):
                d.mkdir(parents=True, exist_ok=True)
                os.chmod(d, 0o700)
            shutil.copyfile(src.var / rel, target)
            os.chmod(target, 0o600)
            copied.append(str(rel))
        return copied

    def live_datanodes(self, want: int) -> probes.ProbeResult:
        """A probe: the NameNode counts at least `want` live DataNodes (its JMX)."""
        s = self.settings("coord")
        beans = probes.http_json(f"{s.webhdfs_url}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState")["beans"]
        live = beans[0]["NumLiveDataNodes"] if beans else 0
        return probes.ProbeResult(live >= want, f"live datanodes={live}")

    def address(self, host: str) -> str:
        return self.description.coordinator.address if host == "coord" else self.net.host(host).address

    def fs_shell_argv(self, *args: str) -> list[str]:
        """Hadoop's own client (FsShell, the Java DFSClient that falls over to another replica) on the coordinator."""
        s = self.settings("coord")
        # Its log in the coordinator's log dir (the rendered log4j.properties would write ./hadoop.log).
        return [str(jvm.java17_home() / "bin" / "java"), "-Xmx256m", *jvm.ADD_OPENS,
                f"-Dhadoop.log.dir={s.log_dir}", "-Dhadoop.log.file=fsshell.log",
                "-cp", jvm.classpath(s.hadoop_conf_dir, f"{s.lib_dir}/hadoop/*"), "org.apache.hadoop.fs.FsShell", *args]

    def fs_shell(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(self.fs_shell_argv(*args), env=self.env("coord"), capture_output=True, timeout=timeout)

    def block_hosts(self, path: str) -> list[set[str]]:
        """For each block of the file at `path`, the addresses of the DataNodes holding a replica (WebHDFS)."""
        s = self.settings("coord")
        url = f"{s.webhdfs_url}/webhdfs/v1{path}?op=GETFILEBLOCKLOCATIONS&user.name={s.user}"
        blocks = probes.http_json(url, timeout=30)["BlockLocations"]["BlockLocation"]
        return [{name.split(":")[0] for name in b["names"]} for b in blocks]
