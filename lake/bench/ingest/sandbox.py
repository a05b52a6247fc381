"""The benchmark's own namespace: topics and consumer groups named bench.<stamp>.*, HDFS dir /tmp/bench-ingest-<stamp>.

cleanup() removes exactly what carries the run's stamp, and nothing of the
stack's (tweets.raw, tweets.dlq, /lake/raw, lake-raw-sink). It finds the
topics and groups by prefix, so it also clears what a crashed run left behind
(`python -m benchmarks.ingest.run --remove <stamp>`). It deletes nothing if
the Kafka cluster answering is not the one the run started on (another stack
took the ports), and says so.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ingestion import topics
from lake.runtime import clients


def kafka_cluster_id(bootstrap: str, timeout: float = 15) -> str:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(clients.kafka_config(bootstrap))   # kept alive until the answer is in
    return admin.describe_cluster(request_timeout=timeout).result(timeout).cluster_id


@dataclass
class Sandbox:
    bootstrap: str
    hdfs: object                      # hdfs.InsecureClient
    stamp: str
    cluster_id: str | None = None     # the Kafka cluster the run started on

    @property
    def base(self) -> str:
        return f"bench.{self.stamp}."

    @property
    def hdfs_dir(self) -> str:
        return f"/tmp/bench-ingest-{self.stamp}"

    def prefix(self, phase: str) -> str:
        """Creates <base><phase>.tweets.raw (and its .dlq) with the lake's own topic settings; returns the prefix."""
        prefix = f"{self.base}{phase}."
        topics.ensure(self.bootstrap, prefix=prefix)
        return prefix

    def group(self, name: str) -> str:
        return f"{self.base}{name}"

    def _mine(self, admin) -> tuple[list[str], list[str]]:
        found_topics = sorted(t for t in admin.list_topics(timeout=30).topics if t.startswith(self.base))
        found_groups = sorted(g.group_id for g in admin.list_consumer_groups(request_timeout=30).result(30).valid
                              if g.group_id.startswith(self.base))
        return found_topics, found_groups

    def cleanup(self) -> dict:
        """Delete this stamp's topics, groups and HDFS dir; returns what was removed, what is left, and why."""
        from confluent_kafka.admin import AdminClient

        out: dict = {"topics_deleted": [], "groups_deleted": [], "hdfs_dir_deleted": None, "errors": []}
        try:
            now = kafka_cluster_id(self.bootstrap)
        except Exception as e:  # noqa: BLE001
            now = None
            out["errors"].append(f"Kafka at {self.bootstrap} not reachable ({e}); topics/groups {self.base}* not removed")
        if now is not None and self.cluster_id is not None and now != self.cluster_id:
            out["errors"].append(f"Kafka at {self.bootstrap} is another cluster ({now}, the run started on "
                                 f"{self.cluster_id}); nothing removed there or on HDFS")
            return out
        if now is not None:
            admin = AdminClient(clients.kafka_config(self.bootstrap))
            found_topics, found_groups = self._mine(admin)
            if found_topics:
                for name, fut in admin.delete_topics(found_topics, operation_timeout=30).items():
                    try:
                        fut.result(60)
                        out["topics_deleted"].append(name)
                    except Exception as e:  # noqa: BLE001 - keep cleaning the rest
                        out["errors"].append(f"topic {name}: {e}")
            if found_groups:
                for name, fut in admin.delete_consumer_groups(found_groups, request_timeout=30).items():
                    try:
                        fut.result(60)
                        out["groups_deleted"].append(name)
                    except Exception as e:  # noqa: BLE001
                        out["errors"].append(f"group {name}: {e}")
            try:
                deadline = time.monotonic() + 15   # topic deletion is asynchronous: give metadata a moment
                while True:
                    out["left_over_topics"], out["left_over_groups"] = self._mine(admin)
                    if not out["left_over_topics"] or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
            except Exception as e:  # noqa: BLE001
                out["errors"].append(f"could not list what is left: {e}")
        try:
            if self.hdfs.status(self.hdfs_dir, strict=False) is not None:
                self.hdfs.delete(self.hdfs_dir, recursive=True)
                out["hdfs_dir_deleted"] = self.hdfs_dir
            out["hdfs_dir_left"] = self.hdfs.status(self.hdfs_dir, strict=False) is not None
        except Exception as e:  # noqa: BLE001
            out["errors"].append(f"HDFS {self.hdfs_dir}: {e}")
        return out
