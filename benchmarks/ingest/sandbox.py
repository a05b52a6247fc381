"""The benchmark's own namespace: topics bench.<stamp>.<phase>.tweets.raw, consumer groups, an HDFS dir.

Everything the run creates is recorded here so cleanup() can remove exactly
that, and nothing of the stack's (tweets.raw, tweets.dlq, /lake/raw, lake-raw-sink).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ingestion import topics


@dataclass
class Sandbox:
    bootstrap: str
    hdfs: object                      # hdfs.InsecureClient
    stamp: str
    prefixes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"bench.{self.stamp}."

    @property
    def hdfs_dir(self) -> str:
        return f"/tmp/bench-ingest-{self.stamp}"

    def prefix(self, phase: str) -> str:
        """Creates <base><phase>.tweets.raw (and its .dlq) with the lake's own topic settings; returns the prefix."""
        prefix = f"{self.base}{phase}."
        self.prefixes.append(prefix)
        topics.ensure(self.bootstrap, prefix=prefix)
        return prefix

    def group(self, name: str) -> str:
        group = f"{self.base}{name}"
        self.groups.append(group)
        return group

    def cleanup(self) -> dict:
        """Delete what this run made; returns what was removed and what could not be."""
        from confluent_kafka.admin import AdminClient

        errors: list[str] = []
        for prefix in self.prefixes:
            try:
                topics.delete(self.bootstrap, prefix)
            except Exception as e:  # noqa: BLE001 - keep cleaning the rest
                errors.append(f"topics {prefix}*: {e}")
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        existing = {g.group_id for g in admin.list_consumer_groups().result(timeout=30).valid}
        mine = [g for g in self.groups if g in existing]
        if mine:
            for group, fut in admin.delete_consumer_groups(mine, request_timeout=30).items():
                try:
                    fut.result(30)
                except Exception as e:  # noqa: BLE001
                    errors.append(f"group {group}: {e}")
        try:
            self.hdfs.delete(self.hdfs_dir, recursive=True)
        except Exception as e:  # noqa: BLE001
            errors.append(f"hdfs {self.hdfs_dir}: {e}")
        left = sorted(t for t in admin.list_topics(timeout=30).topics if t.startswith(self.base))
        left_groups = sorted(g.group_id for g in admin.list_consumer_groups().result(timeout=30).valid
                             if g.group_id.startswith(self.base))
        return {"topics_deleted": [topics.names(p)[i] for p in self.prefixes for i in (0, 1)],
                "groups_deleted": mine, "hdfs_dir_deleted": self.hdfs_dir,
                "left_over_topics": left, "left_over_groups": left_groups, "errors": errors}
