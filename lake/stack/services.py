"""The stack's services, in start order: how each is prepared once, launched,
probed for readiness and described in `make status`.

Each service is a small class; the launcher (lake/stack.py) knows nothing of
any particular daemon.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from lake import versions
from lake.runtime import jvm, probes, process
from lake.errors import LakeError
from lake.runtime.probes import ProbeResult
from lake.runtime.process import Daemon, marker
from lake.settings import Settings


class Service:
    name: str = ""
    port_keys: tuple[str, ...] = ()       # settings.ports keys this service binds
    web_port_key: str | None = None
    web_path: str = "/"
    start_timeout: float = 120.0
    heap_key: str | None = None
    log_to_stdout = False  # the daemon logs to stdout/stderr, which the launcher captures in <name>.out

    def __init__(self, s: Settings):
        self.s = s
        self.daemon = Daemon(self.name, s.run_dir, self.log_file)

    # ---- description ----
    @property
    def log_file(self) -> Path:
        return self.s.log_dir / f"{self.name}.{'out' if self.log_to_stdout else 'log'}"

    @property
    def ports(self) -> list[int]:
        return [self.s.ports[k] for k in self.port_keys]

    @property
    def web_url(self) -> str | None:
        if not self.web_port_key:
            return None
        return f"http://{self.s.host}:{self.s.ports[self.web_port_key]}{self.web_path}"

    # ---- lifecycle hooks ----
    def prepare(self) -> None:
        """One-time initialisation (format, schema). Must never destroy data."""

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["JAVA_HOME"] = str(jvm.java17_home())
        env["HADOOP_CONF_DIR"] = str(self.s.hadoop_conf_dir)
        return env

    def run_as(self) -> str | None:
        return None

    def cwd(self) -> Path | None:
        return None

    def probe(self) -> ProbeResult:
        return probes.port_open(self.s.host, self.ports[0])

    def after_start(self) -> None:
        """Runs once the probe passes, every `up` (must be idempotent)."""

    # ---- helpers for JVM daemons ----
    def java_argv(self, main: str, classpath: str, args: list[str] = (), opts: list[str] = (),
                  java: Path | None = None) -> list[str]:
        heap = self.s.heaps_mb[self.heap_key or self.name]
        java = java or jvm.java17_home() / "bin" / "java"
        return [str(java), f"-D{marker(self.name)}", f"-Xmx{heap}m", f"-Xms{min(heap, 256)}m",
                "-XX:+UseG1GC", "-Djava.net.preferIPv4Stack=true", *jvm.ADD_OPENS, *opts,
                "-cp", classpath, main, *args]


# --------------------------------------------------------------------------- PostgreSQL
class Postgres(Service):
    """A private PostgreSQL cluster under var/, the metastore's (and Airflow's) database."""

    name = "postgres"
    port_keys = ("postgres",)
    start_timeout = 60
    log_to_stdout = True

    @property
    def bindir(self) -> Path:
        major = versions.load()["debian"]["postgresql"]
        path = Path(os.environ.get("LAKE_PG_BINDIR", f"/usr/lib/postgresql/{major}/bin"))
        if not (path / "postgres").exists():
            raise LakeError(f"PostgreSQL {major} not found in {path}: run `make install` as root "
                            f"(installs Debian's postgresql-{major}) or set LAKE_PG_BINDIR")
        return path

    @property
    def data(self) -> Path:
        return self.s.data_dir / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.s.run_dir / "postgres"

    def run_as(self) -> str | None:
        # postgres refuses to run as root; Debian's package creates a `postgres` user.
        return "postgres" if os.geteuid() == 0 else None

    def _chown(self, path: Path) -> None:
        user = self.run_as()
        if user:
            shutil.chown(path, user, user)

    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        return subprocess.run(argv, user=self.run_as(), capture_output=True, text=True, **kw)

    def prepare(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.socket_dir)
        if (self.data / "PG_VERSION").exists():
            return
        self.data.mkdir(parents=True, exist_ok=True)
        self._chown(self.data)
        r = self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                       "--locale=C.UTF-8"])
        if r.returncode != 0:
            raise LakeError(f"postgres: initdb failed in {self.data}", r.stdout + r.stderr)

    def argv(self) -> list[str]:
        # The marker rides in application_name's GUC so `is_ours` can recognise the pid.
        return [str(self.bindir / "postgres"), "-D", str(self.data),
                "-c", f"listen_addresses={self.s.bind_host}", "-p", str(self.s.ports["postgres"]),
                "-k", str(self.socket_dir), "-c", f"cluster_name={marker(self.name)}",
                "-c", "shared_buffers=64MB", "-c", "max_connections=100"]

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}

    def psql(self, sql: str, db: str = "postgres") -> str:
        # SQL goes through stdin so a password in it never shows in the process list.
        r = self._run([str(self.bindir / "psql"), "-h", str(self.socket_dir), "-p", str(self.s.ports["postgres"]),
                       "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-tA", "-f", "-"], input=sql, timeout=60)
        if r.returncode != 0:
            raise LakeError(f"postgres: `{sql[:60]}` failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def probe(self) -> ProbeResult:
        r = self._run([str(self.bindir / "pg_isready"), "-h", str(self.socket_dir),
                       "-p", str(self.s.ports["postgres"])], timeout=10)
        return ProbeResult(r.returncode == 0, (r.stdout or r.stderr).strip())

    def ensure_database(self, role: str, db: str, password: str) -> None:
        """Create (or re-password) a role and its database; idempotent."""
        pw = password.replace("'", "''")
        if self.psql(f"SELECT 1 FROM pg_roles WHERE rolname='{role}'") != "1":
            self.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{pw}'")
        else:
            self.psql(f"ALTER ROLE {role} PASSWORD '{pw}'")
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'") != "1":
            self.psql(f"CREATE DATABASE {db} OWNER {role}")

    def after_start(self) -> None:
        from lake import secrets

        self.ensure_database("hive", "metastore", secrets.metastore_db_password(self.s))


# --------------------------------------------------------------------------- Hadoop
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
            dn = probes.http_json(f"http://{self.s.host}:{self.s.ports['datanode_http']}"
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
        url = f"http://{self.s.host}:{self.s.ports['rm_web']}/ws/v1/cluster/metrics"
        return probes.http_check(url, lambda b: (b["clusterMetrics"]["activeNodes"] >= 1,
                                                 f"active nodemanagers={b['clusterMetrics']['activeNodes']}"))


# --------------------------------------------------------------------------- Hive Metastore
class Metastore(Service):
    """Hive Metastore 3.1.3 (standalone) on the private PostgreSQL.

    HMS 3.1.3 has no bind-host setting (it was added in Hive 4, whose removed
    Thrift calls break Spark's built-in Hive 2.3 client), so it listens on all
    interfaces; clients are told 127.0.0.1. See docs/stack.md."""

    name = "metastore"
    port_keys = ("metastore",)
    start_timeout = 180
    log_to_stdout = True  # HMS logs to stderr (metastore-log4j2.properties); the launcher keeps it

    @property
    def lib(self) -> Path:
        return self.s.lib_dir / "hive-metastore"

    @property
    def home(self) -> Path:
        """Holds only scripts/: the schema SQL ships in the -bin tarball, not in the jar."""
        return self.s.lib_dir / "hive-metastore-home"

    @property
    def conf(self) -> Path:
        return self.s.conf_dir / "hive"

    def env(self) -> dict[str, str]:
        from lake import secrets

        env = super().env()
        # metastore-site.xml reads ${env.PG_PASSWORD}: the password never lands in a file or argv.
        env["PG_PASSWORD"] = secrets.metastore_db_password(self.s)
        env["METASTORE_CONF_DIR"] = str(self.conf)
        env["METASTORE_HOME"] = str(self.home)
        return env

    def _argv(self, main: str, args: list[str]) -> list[str]:
        # The conf dir comes first: HMS finds its log4j2 file only on the classpath.
        return self.java_argv(main, jvm.classpath(self.conf, self.s.hadoop_conf_dir, f"{self.lib}/*"), args=args)

    def _unpack_scripts(self) -> None:
        if (self.home / "scripts").is_dir():
            return
        import tarfile

        (tarball,) = self.lib.glob("hive-standalone-metastore-*-bin.tar.gz")
        tmp = self.home.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(tarball) as tf:
            members = [m for m in tf.getmembers() if m.name.split("/", 2)[1:2] == ["scripts"]]
            for m in members:
                m.name = m.name.split("/", 1)[1]
            tf.extractall(tmp, members=members, filter="data")
        tmp.rename(self.home)

    def prepare(self) -> None:
        # The schema is created once. `-info` exits 0 only when it exists; a
        # missing VERSION table means a fresh database; anything else (database
        # down, wrong password) must stop us rather than trigger an init.
        self._unpack_scripts()
        tool = "org.apache.hadoop.hive.metastore.tools.MetastoreSchemaTool"
        info = subprocess.run(self._argv(tool, ["-dbType", "postgres", "-info"]), env=self.env(),
                              capture_output=True, text=True, timeout=300)
        if info.returncode == 0:
            return
        if '"VERSION" does not exist' not in info.stdout + info.stderr:
            raise LakeError("metastore: cannot read the schema version from PostgreSQL "
                            "(is postgres up and LAKE_METASTORE_DB_PASSWORD unchanged?)",
                            (info.stdout + info.stderr)[-2000:])
        init = subprocess.run(self._argv(tool, ["-dbType", "postgres", "-initSchema"]), env=self.env(),
                              capture_output=True, text=True, timeout=600)
        if init.returncode != 0:
            raise LakeError("metastore: schema initialisation failed", (init.stdout + init.stderr)[-3000:])

    def argv(self) -> list[str]:
        return self._argv("org.apache.hadoop.hive.metastore.HiveMetaStore", ["-p", str(self.s.ports["metastore"])])

    def probe(self) -> ProbeResult:
        return probes.port_open(self.s.host, self.s.ports["metastore"])


# --------------------------------------------------------------------------- Kafka
class Kafka(Service):
    name = "kafka"
    port_keys = ("kafka", "kafka_controller")
    start_timeout = 120

    @property
    def lib(self) -> Path:
        return self.s.lib_dir / "kafka"

    @property
    def properties(self) -> Path:
        return self.s.conf_dir / "kafka" / "server.properties"

    def _opts(self) -> list[str]:
        return [f"-Dkafka.logs.dir={self.s.log_dir}",
                f"-Dlog4j2.configurationFile={self.s.conf_dir / 'kafka' / 'log4j2.yaml'}"]

    def prepare(self) -> None:
        # KRaft storage is formatted exactly once; meta.properties marks a formatted log dir.
        logs = self.s.data_dir / "kafka"
        if (logs / "meta.properties").exists():
            return
        import base64
        import uuid

        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        argv = self.java_argv("kafka.tools.StorageTool", f"{self.lib}/*", opts=self._opts(),
                              args=["format", "-t", cluster_id, "-c", str(self.properties)])
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise LakeError("kafka: storage format failed", (r.stdout + r.stderr)[-3000:])

    def argv(self) -> list[str]:
        return self.java_argv("kafka.Kafka", f"{self.lib}/*", args=[str(self.properties)], opts=self._opts())

    def probe(self) -> ProbeResult:
        port = probes.port_open(self.s.host, self.s.ports["kafka"])
        if not port:
            return port
        try:
            from confluent_kafka.admin import AdminClient

            md = AdminClient({"bootstrap.servers": self.s.kafka_bootstrap}).list_topics(timeout=5)
        except Exception as e:  # noqa: BLE001
            return ProbeResult(False, f"broker metadata request failed ({e})")
        return ProbeResult(len(md.brokers) >= 1, f"brokers={len(md.brokers)}")


# --------------------------------------------------------------------------- Spark Thrift Server
class ThriftServer(Service):
    """HiveServer2 protocol for Beeline and PyHive. It runs in local mode: a
    long-lived AM plus executors would pin most of YARN's memory on this
    2-core host, while batch jobs are what YARN is for."""

    name = "thriftserver"
    port_keys = ("thrift", "thrift_ui")
    web_port_key = "thrift_ui"
    start_timeout = 180
    log_to_stdout = True

    def env(self) -> dict[str, str]:
        from lake.runtime import spark

        return spark.submit_env(self.s)

    def argv(self) -> list[str]:
        from lake.runtime import spark

        return [*spark.submit_base(self.s, master="local[2]", name="lake-thriftserver", service=self.name,
                                   driver_memory_mb=self.s.heaps_mb["thriftserver"]),
                "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
                "--conf", f"spark.ui.port={self.s.ports['thrift_ui']}",
                "spark-internal",
                "--hiveconf", f"hive.server2.thrift.port={self.s.ports['thrift']}",
                "--hiveconf", f"hive.server2.thrift.bind.host={self.s.bind_host}"]

    def probe(self) -> ProbeResult:
        return probes.port_open(self.s.host, self.s.ports["thrift"])


# --------------------------------------------------------------------------- Trino
class Trino(Service):
    name = "trino"
    port_keys = ("trino",)
    web_port_key = "trino"
    web_path = "/ui/"
    start_timeout = 240

    @property
    def home(self) -> Path:
        return self.s.lib_dir / f"trino-server-{versions.maven('trino')}"

    @property
    def etc(self) -> Path:
        return self.s.conf_dir / "trino" / "etc"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["JAVA_HOME"] = str(jvm.trino_java().parent.parent)
        return env

    def argv(self) -> list[str]:
        # What Trino's bin/launcher does, minus its Python 2 era wrapper: jvm.config
        # lines are JVM options and node.properties entries become system properties.
        def lines(name: str) -> list[str]:
            return [ln.strip() for ln in (self.etc / name).read_text().splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")]

        return [str(jvm.trino_java()), f"-D{marker(self.name)}", *lines("jvm.config"),
                *[f"-D{ln}" for ln in lines("node.properties")],
                f"-Dconfig={self.etc / 'config.properties'}",
                f"-Dlog.levels-file={self.etc / 'log.properties'}",
                f"-Dplugin.dir={self.home / 'plugin'}",
                "-cp", f"{self.home}/lib/*", "io.trino.server.TrinoServer"]

    def prepare(self) -> None:
        # Trino fails with an opaque Guice error, not a clear one, when node.data-dir is missing.
        (self.s.data_dir / "trino").mkdir(parents=True, exist_ok=True)

    def cwd(self) -> Path | None:
        return self.home  # Trino resolves its secrets-plugin dir relative to the working dir

    def probe(self) -> ProbeResult:
        url = f"{self.s.trino_url}/v1/info"
        return probes.http_check(url, lambda b: (b.get("starting") is False, f"starting={b.get('starting')}"))


# --------------------------------------------------------------------------- raw sink
class RawSink(Service):
    """tweets.raw -> HDFS raw zone, exactly once (ingestion/sink.py)."""

    name = "raw-sink"
    port_keys = ()
    start_timeout = 120
    log_to_stdout = True

    @property
    def status_file(self) -> Path:
        return self.s.run_dir / "raw-sink.status.json"

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "ingestion.sink", "--tag", marker(self.name),
                "--status-file", str(self.status_file),
                "--roll-seconds", os.environ.get("LAKE_SINK_ROLL_SECONDS", "30")]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = f"{self.s.root}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def cwd(self) -> Path | None:
        return self.s.root

    def probe(self) -> ProbeResult:
        import json
        import time

        try:
            st = json.loads(self.status_file.read_text())
        except (FileNotFoundError, ValueError):
            return ProbeResult(False, f"no status yet in {self.status_file}")
        age = time.time() - st.get("heartbeat", 0)
        ok = st.get("state") == "running" and age < 20
        return ProbeResult(ok, f"state={st.get('state')}, heartbeat {age:.0f}s ago, landed={st.get('records')}")


# --------------------------------------------------------------------------- speed layer
class SpeedLayer(Service):
    """Kafka -> speed.tweets, Spark Structured Streaming (spark/jobs/stream_speed.py, docs/serving.md).

    It runs with master local[2] in one driver JVM rather than on YARN: a streaming job
    never ends, and on YARN it would hold an AM and an executor container for good,
    which on this 2-core host would leave batch builds waiting for resources.
    LAKE_SPEED_MASTER=yarn moves it there."""

    name = "speed-layer"
    port_keys = ("speed_ui",)
    web_port_key = "speed_ui"
    web_path = "/StreamingQuery/"
    start_timeout = 180
    log_to_stdout = True
    heap_key = "speed-layer"

    @property
    def status_file(self) -> Path:
        return self.s.run_dir / "speed-layer.status.json"

    def prepare(self) -> None:
        from lake.pipeline import ddl

        ddl.apply_layer(self.s, "speed")

    def argv(self) -> list[str]:
        from lake.pipeline import speed

        return speed.submit_argv(self.s, status_file=self.status_file, service=self.name)

    def env(self) -> dict[str, str]:
        from lake.runtime import spark

        env = spark.submit_env(self.s)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def probe(self) -> ProbeResult:
        from lake.pipeline import speed

        return speed.probe_status(self.status_file)

    def after_start(self) -> None:
        # serving.tweets (a Trino view over silver, speed and the watermarks): Trino is up by now
        from lake.pipeline import serving

        serving.apply_view(self.s)


# --------------------------------------------------------------------------- Airflow
class AirflowService(Service):
    """Airflow 3 components, each its own process from the Airflow virtualenv (.venv-airflow,
    docs/airflow.md); metadata in the stack's PostgreSQL, database `airflow`."""

    component = ""
    start_timeout = 180
    log_to_stdout = True

    def argv(self) -> list[str]:
        from lake import airflow_env

        airflow_env.airflow_bin(self.s)  # a clear error when Airflow is not installed
        # -X carries the lake's marker (Python ignores unknown -X options) in the command line of a
        # small parent process: Airflow retitles its own processes (lake/stack/airflow_launch.py).
        return [str(airflow_env.python_bin(self.s)), "-X", marker(self.name), "-m", "lake.stack.airflow_launch",
                self.component, *self.extra_args()]

    def extra_args(self) -> list[str]:
        return []

    def env(self) -> dict[str, str]:
        from lake import airflow_env

        return airflow_env.environment(self.s)

    def cwd(self) -> Path | None:
        return self.s.root

    def probe(self) -> ProbeResult:
        from lake import airflow_env

        return airflow_env.probe_component(self.s, self.component)


class AirflowApiServer(AirflowService):
    name = "airflow-apiserver"
    component = "api-server"
    port_keys = ("airflow",)
    web_port_key = "airflow"
    start_timeout = 300

    def prepare(self) -> None:
        from lake import airflow_env

        airflow_env.prepare_database(self.s)

    def extra_args(self) -> list[str]:
        return ["--host", self.s.bind_host, "--port", str(self.s.ports["airflow"]), "--workers", "1"]


class AirflowScheduler(AirflowService):
    name = "airflow-scheduler"
    component = "scheduler"

    def extra_args(self) -> list[str]:
        # No worker log server: its host is hard-coded to every interface (airflow.utils.serve_logs),
        # and it is not needed here: tasks run on this host and the api-server reads their log files.
        return ["--skip-serve-logs"]


class AirflowDagProcessor(AirflowService):
    name = "airflow-dag-processor"
    component = "dag-processor"


# In start order, the same in both modes. The speed layer and Airflow come last: they need Kafka,
# the metastore and the Thrift Server's DDL.
SERVICE_CLASSES: tuple[type[Service], ...] = (
    Postgres, NameNode, DataNode, ResourceManager, NodeManager, Metastore, Kafka, ThriftServer, Trino, RawSink,
    SpeedLayer, AirflowApiServer, AirflowScheduler, AirflowDagProcessor,
)


def all_services(s: Settings) -> list[Service]:
    return [cls(s) for cls in SERVICE_CLASSES]


def by_name(s: Settings, name: str) -> Service:
    for svc in all_services(s):
        if svc.name == name:
            return svc
    known = ", ".join(c.name for c in SERVICE_CLASSES)
    raise LakeError(f"no service named {name!r}; known: {known}")
