"""Renders the daemons' config files from the repo into var/conf/.

The files in the repo are the real config files in the layout each daemon
expects; the only templated parts are ``${UPPER_CASE}`` placeholders for what
differs between native and Docker runs (hosts, ports, paths). Lower-case
``${a.b}`` references are the daemons' own variables and pass through.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from lake.cluster import TRINO_WORKER
from lake.errors import LakeError
from lake.settings import KAFKA_SUPER_USERS, Settings

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


@dataclass(frozen=True)
class ConfigSet:
    """A folder of templates in the repo and where its rendered copy goes."""

    name: str
    source: str  # relative to the repo root
    target: str  # relative to settings.conf_dir


CONFIG_SETS = (
    ConfigSet("hadoop", "hadoop-cluster/etc/hadoop", "hadoop"),
    ConfigSet("hive", "hadoop-cluster/etc/hive", "hive"),
    ConfigSet("kafka", "hadoop-cluster/etc/kafka", "kafka"),
    ConfigSet("mosquitto", "hadoop-cluster/etc/mosquitto", "mosquitto"),
    ConfigSet("spark", "spark/conf", "spark"),
    ConfigSet("trino", "trino/etc", "trino/etc"),
    ConfigSet("trino-catalog", "trino/catalog", "trino/etc/catalog"),
    # A Trino worker host's own config.properties; the rest of its etc/ is trino/etc's (lake/stack/trino.py).
    ConfigSet("trino-worker", "trino/worker", "trino/worker"),
)


class TemplateError(LakeError):
    pass


def template_vars(s: Settings) -> dict[str, str]:
    p = s.ports
    values = {
        "BIND_HOST": s.bind_host,
        "NAMENODE_HOST": s.host,
        "METASTORE_HOST": s.host,
        "KAFKA_HOST": s.host,
        "NODE_HOST": s.node_host,  # what this host's worker daemons advertise (cluster.toml)
        "DFS_REPLICATION": str(s.dfs_replication),
        "LAKE_USER": s.user,
        "DATA_DIR": str(s.data_dir),
        "LOG_DIR": str(s.log_dir),
        "CONF_DIR": str(s.conf_dir),
        "HADOOP_CONF_DIR": str(s.hadoop_conf_dir),
        "HIVE_CONF_DIR": str(s.conf_dir / "hive"),
        "TRINO_DATA_DIR": str(s.data_dir / "trino"),
        "TRINO_CATALOG_DIR": str(s.conf_dir / "trino" / "etc" / "catalog"),
        # One Trino per host: the coordinator's keeps the id it always had, a worker's is named by its address.
        "TRINO_NODE_ID": trino_node_id(s),
        # The coordinator also runs splits unless some host of cluster.toml runs a Trino worker.
        "TRINO_INCLUDE_COORDINATOR": "false" if s.trino_worker_addresses else "true",
        "TRINO_KEYSTORE": str(s.trino_keystore),
        "TRINO_CA_FILE": str(s.trino_ca_file),
        "TRINO_PASSWORD_FILE": str(s.trino_password_file),
        "TRINO_GROUP_FILE": str(s.trino_group_file),
        "WAREHOUSE_DIR": s.warehouse_dir,
        "HDFS_URI": s.hdfs_uri,
        "METASTORE_URI": s.metastore_uri,
        "SPARK_ARCHIVE": s.spark_archive,
        "NM_MEMORY_MB": str(s.nm_memory_mb),
        "NM_VCORES": str(s.nm_vcores),
        # The heap of the Trino this host runs (jvm.config is shared by the coordinator's and a worker's).
        "TRINO_HEAP_MB": str(s.heaps_mb[TRINO_WORKER if s.runs(TRINO_WORKER) else "trino"]),
        "PG_HOST": s.host,
        "PG_PORT": str(p["postgres"]),
        "KAFKA_SUPER_USERS": ";".join(f"User:{u}" for u in KAFKA_SUPER_USERS),
    }
    for name, port in p.items():
        values[f"{name.upper()}_PORT"] = str(port)
    return values


def trino_node_id(s: Settings) -> str:
    """Trino's node.id on this host: the single host's (and the coordinator's) as before; a worker's adds its
    address (node ids take letters, digits, '-' and '_')."""
    base = f"lake-{s.env}"
    return f"{base}-{s.node_host.replace('.', '-')}" if s.runs(TRINO_WORKER) else base


def render_text(text: str, values: dict[str, str], origin: str = "<text>") -> str:
    missing = sorted({m for m in PLACEHOLDER.findall(text) if m not in values})
    if missing:
        raise TemplateError(f"{origin}: no value for placeholder(s) {', '.join(missing)}")
    return string.Template(text).safe_substitute(values)


def render_all(s: Settings) -> list[Path]:
    """Render every config set; returns the files written. Idempotent."""
    values = template_vars(s)
    written = []
    for cs in CONFIG_SETS:
        src = s.root / cs.source
        if not src.is_dir():
            continue
        dst = s.conf_dir / cs.target
        dst.mkdir(parents=True, exist_ok=True)
        for f in sorted(src.iterdir()):
            if not f.is_file():
                continue
            out = dst / f.name
            rendered = render_text(f.read_text(), values, origin=str(f.relative_to(s.root)))
            if not out.exists() or out.read_text() != rendered:
                out.write_text(rendered)
            written.append(out)
    return written
