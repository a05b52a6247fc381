"""The stack's services in start order, the same in both modes: the registry `lake up`, `make status`
and docker-compose's checks read. One module per daemon family holds each service's class."""
from __future__ import annotations

from lake.errors import LakeError
from lake.settings import Settings
from lake.stack.airflow import AirflowApiServer, AirflowDagProcessor, AirflowScheduler, AirflowService
from lake.stack.hadoop import DataNode, NameNode, NodeManager, ResourceManager
from lake.stack.hive import Metastore
from lake.stack.kafka import Kafka, KafkaBroker
from lake.stack.mosquitto import Mosquitto, MqttBridge
from lake.stack.postgres import Postgres
from lake.stack.raw_sink import RawSink
from lake.stack.service import Service
from lake.stack.spark import SpeedLayer, ThriftServer
from lake.stack.superset import Superset
from lake.stack.topic_browser import TopicBrowser
from lake.stack.trino import Trino, TrinoWorker

__all__ = ["SERVICE_CLASSES", "Service", "AirflowService", "all_services", "by_name", "host_services"]

# The speed layer and Airflow come after the core: they need Kafka, the metastore and the Thrift Server's
# DDL; then what users look at: Superset (on Trino and PostgreSQL) and the topic browser (on Kafka). The
# MQTT broker and its bridge come last: they only need Kafka, and nothing else waits for them.
SERVICE_CLASSES: tuple[type[Service], ...] = (
    Postgres, NameNode, DataNode, ResourceManager, NodeManager, Metastore, Kafka, KafkaBroker, ThriftServer, Trino,
    TrinoWorker, RawSink, SpeedLayer, AirflowApiServer, AirflowScheduler, AirflowDagProcessor, Superset, TopicBrowser,
    Mosquitto, MqttBridge,
)


def all_services(s: Settings) -> list[Service]:
    return [cls(s) for cls in SERVICE_CLASSES]


def host_services(s: Settings) -> list[Service]:
    """The services this host runs (its roles in cluster.toml), in start order: all of them on a single host."""
    return [svc for svc in all_services(s) if s.runs(svc.name)]


def by_name(s: Settings, name: str) -> Service:
    for svc in all_services(s):
        if svc.name == name:
            return svc
    known = ", ".join(c.name for c in SERVICE_CLASSES)
    raise LakeError(f"no service named {name!r}; known: {known}")
