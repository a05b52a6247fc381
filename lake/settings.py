"""One settings object for the whole lake, chosen by one variable: LAKE_ENV.

LAKE_ENV=native (default) runs every daemon as a local process bound to
127.0.0.1; LAKE_ENV=docker describes the same services inside Docker Compose,
where hosts are service names and paths live under /opt/lake.

Every port, path and heap size the launcher, the configs and the tests use is
derived from here. A port can be moved without editing code with
LAKE_PORT_<NAME>=<port> (for example LAKE_PORT_TRINO=18080).
"""
from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lake import cluster as cluster_description

ROOT = Path(__file__).resolve().parent.parent

# The contract ports (shared/docs/contracts.md); the extra Hadoop ports are
# fixed too so that nothing binds a random or wildcard port.
DEFAULT_PORTS = {
    # A private port: a Debian postgresql install may already run its own cluster on 5432.
    "postgres": 15432,
    "namenode_rpc": 8020,
    "namenode_http": 9870,
    "datanode_http": 9864,
    "datanode_data": 9866,
    "datanode_ipc": 9867,
    "rm": 8032,
    "rm_scheduler": 8030,
    "rm_tracker": 8031,
    "rm_admin": 8033,
    "rm_web": 8088,
    "nm": 8041,
    "nm_localizer": 8040,
    "nm_web": 8042,
    "metastore": 9083,
    "kafka": 9092,
    "kafka_controller": 9093,
    "thrift": 10000,
    "thrift_ui": 4040,
    # Trino serves HTTPS only (docs/security.md): its plain-HTTP port is off, so anyone's X-Trino-User
    # header cannot stand in for a password. contracts.md: "8443 once security exists".
    "trino": 8443,
    # A Trino worker (cluster.toml role trino-worker) on its own host listens on the same port; its own key lets
    # a worker share a host with the coordinator's Trino (make bench-scale's second worker, LAKE_PORT_TRINO_WORKER).
    "trino_worker": 8443,
    "speed_ui": 4041,     # the speed layer's Spark UI (Structured Streaming tab)
    "airflow": 8090,      # Airflow API server and UI (8080 is Trino's)
    "mqtt": 1883,         # Mosquitto, the MQTT broker the MQTT source publishes to
    "superset": 8091,     # Superset (gunicorn), the Brand monitor dashboard (8088 is YARN's)
    "topic_browser": 8092,  # the read-only Kafka topic browser (lake/console)
}

# Kafka topics (contracts.md). ingestion/topics.py holds their partitions and configs.
TOPIC_RAW = "tweets.raw"
TOPIC_DLQ = "tweets.dlq"
TOPIC_COMPLIANCE = "tweets.compliance"

# Kafka's client listener takes SASL/SCRAM-SHA-512 and its StandardAuthorizer checks ACLs (docs/security.md
# "Kafka"). One principal per client role; each password is LAKE_KAFKA_<NAME>_PASSWORD or generated once by
# `make up` under var/secrets (lake/secrets.py; a client never generates one). The ACLs: lake/stack/kafka_acls.py.
KAFKA_SASL_MECHANISM = "SCRAM-SHA-512"
KAFKA_BROKER = "broker"      # the broker's own inter-broker login (super user)
KAFKA_ADMIN = "admin"        # `make up`, topics, ACLs, test and benchmark sandboxes (super user)
KAFKA_PRODUCER = "producer"  # `make ingest`, the demos' producers: write tweets.raw, tweets.dlq, tweets.compliance
KAFKA_SINK = "sink"          # the raw sink: read tweets.raw as lake-raw-sink
KAFKA_SPEED = "speed"        # the speed layer (Spark): read tweets.raw and tweets.compliance with group ids lake-speed*
KAFKA_BROWSER = "browser"    # the topic browser (lake/console): describe and read only
KAFKA_BRIDGE = "bridge"      # the MQTT bridge: writes like the producer
KAFKA_COMPLY = "comply"      # `make comply`: read tweets.compliance as lake-comply, write tweets.dlq
KAFKA_PRINCIPALS = (KAFKA_BROKER, KAFKA_ADMIN, KAFKA_PRODUCER, KAFKA_SINK, KAFKA_SPEED, KAFKA_BROWSER,
                    KAFKA_BRIDGE, KAFKA_COMPLY)
# The broker logs in to its controller as KAFKA_BROKER too (SASL/PLAIN on the loopback controller listener).
KAFKA_SUPER_USERS = (KAFKA_BROKER, KAFKA_ADMIN)
# The speed layer's Kafka source names its consumer groups with this prefix (Spark's groupIdPrefix).
SPEED_GROUP_PREFIX = "lake-speed"
# The topic browser's consumer (assigned, never committing: the group id is a label).
TOPIC_BROWSER_GROUP = "lake-topic-browser"

# HDFS paths (contracts.md): the raw zone the sink lands in, its rejects, the sink's own state,
# the speed layer's checkpoints, and the top-level folders `lake up` creates.
RAW_ROOT = "/lake/raw/tweets"
REJECTED_ROOT = "/lake/raw/_rejected/tweets"
SINK_STATE_ROOT = "/lake/raw/_sink"
SPEED_CHECKPOINTS = "/lake/checkpoints/speed"
HDFS_FOLDERS = (RAW_ROOT, REJECTED_ROOT, "/lake/warehouse", "/lake/system", "/lake/checkpoints", "/tmp")
# Who may read what (docs/security.md), set by `lake up` on every start. HDFS runs with simple
# authentication: these modes stop another local user (who reaches HDFS under their own name), not one
# who claims the lake's. The raw zone (tweets, rejects, the sink's state) holds unmasked PII: only its
# owner, the lake's user that runs the sink, may enter it. The speed layer's checkpoints hold Kafka
# offsets and state of raw records: the same. The warehouse holds masked tables the query engines read.
HDFS_MODES = {"/lake": "755", "/lake/raw": "700", "/lake/checkpoints": "700", "/lake/warehouse": "755",
              "/lake/system": "755", "/tmp": "1777"}

# The speed layer's micro-batch trigger (LAKE_SPEED_TRIGGER_SECONDS moves it).
SPEED_TRIGGER_SECONDS = 10.0
# The speed-side table of removals the stream read from tweets.compliance (<speed db>.compliance_pending):
# serving.tweets hides their tweets and authors within one trigger, before `make comply` applies them.
SPEED_PENDING_TABLE = "compliance_pending"

# Options every SparkSession of the lake gets (lake/runtime/spark.py builder; spark-defaults.conf
# sets the pruning one for the Thrift Server and spark-submit too). Hive Metastore 3.1 on PostgreSQL
# fails to filter DATE partition keys ("operator does not exist: date = character varying"): list
# the partitions and prune them in Spark.
SPARK_SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.hive.metastorePartitionPruning": "false",
}

# The raw sink: its service name (pid, log and status files) and its Kafka consumer group.
RAW_SINK = "raw-sink"
RAW_SINK_GROUP = "lake-raw-sink"
# `make comply`'s consumer group on tweets.compliance (lake/pipeline/comply.py).
COMPLY_GROUP = "lake-comply"

# The MQTT path (docs/ingestion.md): the broker's service name, the bridge's service name and its
# persistent-session client id, and the topic root publishers use (`tweets/<source>`, contracts.md).
MOSQUITTO = "mosquitto"
MQTT_BRIDGE = "mqtt-bridge"
MQTT_BRIDGE_CLIENT_ID = "lake-mqtt-bridge"
MQTT_TOPIC_ROOT = "tweets"

# Trino's logins (docs/security.md). The groups rules.json (trino/etc/rules.json) grants to, and the
# service users the lake generates at `make up` with their groups: the lake's own jobs (builds, comply,
# benchmarks, tests) write every layer, so `lake` is an engineer; Superset and Airflow get rules of their own.
TRINO_GROUPS = ("engineers", "pii", "analysts")
TRINO_SERVICE_USERS = {"lake": ("engineers",), "superset": (), "airflow": ()}
TRINO_SERVICE_USER = "lake"

# Heaps sized so the whole stack idles well under 12 GiB on a 24 GiB, 2-core host
# and leaves YARN room for Spark (platform-notes.md memory budget).
DEFAULT_HEAPS_MB = {
    "namenode": 512,
    "datanode": 384,
    "resourcemanager": 768,
    "nodemanager": 512,
    "metastore": 768,
    "kafka": 768,
    "thriftserver": 1024,
    "trino": 3072,
    # A Trino worker host (cluster.toml role trino-worker): small, it runs the leaf splits of one query at a time
    # on the 2-core test box; its trino/worker/config.properties memory limits must fit this heap.
    "trino-worker": 1024,
    "speed-layer": 1024,  # the streaming driver (local[2]: its executors are threads of this JVM)
}


@dataclass(frozen=True)
class Settings:
    env: str
    root: Path
    var: Path
    bind_host: str
    host: str
    user: str
    ports: dict[str, int] = field(default_factory=dict)
    heaps_mb: dict[str, int] = field(default_factory=dict)
    nm_memory_mb: int = 8192
    nm_vcores: int = 4
    # What `make up` does to the DAGs' schedules (LAKE_AIRFLOW_SCHEDULE, `make up SCHEDULE=`): "on" unpauses
    # lake_batch and lake_maintenance, "off" pauses them (benchmarks), "keep" leaves them as they are, new DAGs
    # paused (the test suite: only a test's own DAGs run).
    airflow_schedule: str = "on"
    # This host in the cluster description (cluster.toml, lake/cluster.py): the address its services advertise
    # (bind_host is where they listen; host is the coordinator's), HDFS's replication factor, and the roles it
    # runs. The default single host on loopback runs every role, as the lake always has.
    node_host: str = "127.0.0.1"
    dfs_replication: int = 1
    roles: tuple[str, ...] = cluster_description.SINGLE_HOST.coordinator.roles
    peers: tuple[cluster_description.Host, ...] = ()  # the cluster's other hosts, which `up` probes

    def runs(self, service: str) -> bool:
        """Whether this host starts the service named `service` (its roles in the cluster description)."""
        return cluster_description.Host("", self.node_host, self.roles).runs(service)

    @property
    def trino_worker_addresses(self) -> tuple[str, ...]:
        """The addresses of the hosts of the cluster description that run a Trino worker, this one included."""
        me = cluster_description.Host("", self.node_host, self.roles)
        return tuple(h.address for h in (*self.peers, me) if cluster_description.TRINO_WORKER in h.roles)

    # ---- derived paths; everything generated lives under var/ (git-ignored) ----
    @property
    def lib_dir(self) -> Path:
        return self.var / "lib"

    @property
    def data_dir(self) -> Path:
        return self.var / "data"

    @property
    def log_dir(self) -> Path:
        return self.var / "log"

    @property
    def run_dir(self) -> Path:
        return self.var / "run"

    @property
    def conf_dir(self) -> Path:
        return self.var / "conf"

    @property
    def secrets_dir(self) -> Path:
        return self.var / "secrets"

    @property
    def trino_secrets_dir(self) -> Path:
        """Trino's TLS material, password file and group file (generated by `make up`, mode 0600)."""
        return self.secrets_dir / "trino"

    @property
    def trino_keystore(self) -> Path:
        """PEM: the server's private key and certificate, read by Trino."""
        return self.trino_secrets_dir / "trino-keystore.pem"

    @property
    def trino_ca_file(self) -> Path:
        """PEM: the self-signed certificate every client trusts (verify=, --truststore-path)."""
        return self.trino_secrets_dir / "trino-ca.pem"

    @property
    def trino_password_file(self) -> Path:
        return self.trino_secrets_dir / "password.db"

    @property
    def trino_group_file(self) -> Path:
        return self.trino_secrets_dir / "group.txt"

    def log_file(self, service: str, stdout: bool = False) -> Path:
        """A service's log: <name>.out when the launcher captures its stdout, else the daemon's own <name>.log."""
        return self.log_dir / f"{service}.{'out' if stdout else 'log'}"

    def status_file(self, service: str) -> Path:
        """The JSON status a Python service (the raw sink, the speed layer) rewrites while it runs."""
        return self.run_dir / f"{service}.status.json"

    @property
    def hadoop_conf_dir(self) -> Path:
        return self.conf_dir / "hadoop"

    @property
    def hdfs_uri(self) -> str:
        return f"hdfs://{self.host}:{self.ports['namenode_rpc']}"

    @property
    def webhdfs_url(self) -> str:
        return f"http://{self.host}:{self.ports['namenode_http']}"

    @property
    def metastore_uri(self) -> str:
        return f"thrift://{self.host}:{self.ports['metastore']}"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.ports['kafka']}"

    @property
    def trino_url(self) -> str:
        return f"https://{self.host}:{self.ports['trino']}"

    @property
    def warehouse_dir(self) -> str:
        return f"{self.hdfs_uri}/lake/warehouse"

    @property
    def spark_archive(self) -> str:
        from lake import versions

        return f"{self.hdfs_uri}/lake/system/spark/spark-jars-{versions.maven('spark')}.zip"


AIRFLOW_SCHEDULES = ("on", "off", "keep")


def _schedule_from_env(env: dict[str, str]) -> str:
    value = (env.get("LAKE_AIRFLOW_SCHEDULE") or "on").strip().lower()
    if value not in AIRFLOW_SCHEDULES:
        from lake.errors import LakeError

        raise LakeError(f"SCHEDULE={value!r} (LAKE_AIRFLOW_SCHEDULE): choose on, off or keep")
    return value


def _ports_from_env(env: dict[str, str]) -> dict[str, int]:
    ports = dict(DEFAULT_PORTS)
    for name in ports:
        value = env.get(f"LAKE_PORT_{name.upper()}")
        if value:
            ports[name] = int(value)
    return ports


def _native(env: dict[str, str]) -> Settings:
    # Every service listens on and advertises its host's address; clients reach the coordinator's.
    cluster, me = cluster_description.load(env)
    yarn = {k: v for k, v in (("nm_memory_mb", me.yarn_memory_mb), ("nm_vcores", me.yarn_vcores)) if v is not None}
    return Settings(
        env="native",
        root=ROOT,
        var=Path(env.get("LAKE_VAR_DIR", ROOT / "var")).resolve(),
        bind_host=me.address,
        host=cluster.coordinator.address,
        node_host=me.address,
        dfs_replication=cluster.replication,
        roles=me.roles,
        peers=tuple(h for h in cluster.hosts if h != me),
        **yarn,
        user=env.get("LAKE_USER") or getpass.getuser(),
        ports=_ports_from_env(env),
        heaps_mb=dict(DEFAULT_HEAPS_MB),
        airflow_schedule=_schedule_from_env(env),
    )


def _docker(env: dict[str, str]) -> Settings:
    # The compose services share one network namespace (network_mode: service:net),
    # so daemons reach each other on 127.0.0.1 exactly as in native mode, and the
    # published ports are reachable from the host at the same addresses. Daemons
    # bind 0.0.0.0 inside the container so that Docker's port publishing reaches them.
    base = _native(env)
    return Settings(
        env="docker",
        root=Path(env.get("LAKE_ROOT", "/opt/lake/app")),
        var=Path(env.get("LAKE_VAR_DIR", "/opt/lake/var")),
        bind_host="0.0.0.0",
        host="127.0.0.1",
        user=env.get("LAKE_USER", "lake"),
        ports=base.ports,
        heaps_mb=base.heaps_mb,
        airflow_schedule=base.airflow_schedule,
    )


PROFILES = {"native": _native, "docker": _docker}


def load(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    name = env.get("LAKE_ENV", "native")
    if name not in PROFILES:
        raise SystemExit(f"LAKE_ENV={name!r} is not a known profile; use one of: {', '.join(PROFILES)}")
    return PROFILES[name](env)


@lru_cache(maxsize=1)
def get() -> Settings:
    return load()
