"""Raw-zone files written the way the raw sink names and places them, for integration tests
that build bronze and above from a known set without going through Kafka."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ingestion.sink import raw_sink as sink
from lake.pipeline import ddl
from lake.runtime import clients, hdfs_client

TOPIC = "tweets.raw"


@dataclass
class Landed:
    files: dict[str, list[str]] = field(default_factory=dict)  # hdfs path -> lines

    def add(self, root: str, day: str, hour: str, partition: int, first: int, lines: list[str]) -> None:
        name = sink.file_name(TOPIC, partition, first, first + len(lines) - 1)
        self.files[f"{root}/ingest_date={day}/ingest_hour={hour}/{name}"] = lines

    def lines(self, day: str | None = None) -> list[str]:
        return [ln for path, lines in self.files.items() if day is None or f"ingest_date={day}/" in path
                for ln in lines]

    def write(self, lake, raw_db: str, root: str) -> None:
        """Write the files, create <raw_db>.tweets over root and register the partitions."""
        c = hdfs_client.client(lake)
        for path, lines in self.files.items():
            c.write(path, data=("\n".join(lines) + "\n").encode(), overwrite=True)
        ddl.apply_layer(lake, "raw", RAW_DB=raw_db, RAW_ROOT=f"{lake.hdfs_uri}{root}")
        for path in self.files:
            day = path.split("ingest_date=")[1].split("/")[0]
            hour = path.split("ingest_hour=")[1].split("/")[0]
            clients.hive(lake, f"ALTER TABLE {raw_db}.tweets ADD IF NOT EXISTS "
                               f"PARTITION (ingest_date='{day}', ingest_hour='{hour}')")


def tweet_id(line: str, not_tweets=()) -> str | None:
    """The id by the simplest independent reading (not the parser under test)."""
    try:
        o = json.loads(line)
    except ValueError:
        return None
    if not isinstance(o, dict) or line in not_tweets:
        return None
    o = o.get("data", o)
    return o.get("id_str") or o.get("id")
