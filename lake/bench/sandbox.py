"""A benchmark's private lake on the real stack: its own raw root on HDFS (/lake/bench/<suite>/<run>/) and
schemas bench_<suite>_<run>_<name>_{raw,bronze,silver,gold,ops,...}, one set per case `name`; cleanup()
drops them all. Used by `make bench-build` and `make bench-comply`."""
from __future__ import annotations

LAYERS = ("serving", "speed", "gold", "silver", "ops", "bronze", "raw")


class Sandbox:
    def __init__(self, s, suite: str, run: str):
        self.s, self.suite, self.run = s, suite, run
        self.base = f"/lake/bench/{suite}/{run}"
        self.root = f"{self.base}/raw"

    def dbs(self, name: str):
        from lake.pipeline.layers import Databases

        return Databases(f"bench_{self.suite}_{self.run}_{name}_")

    def raw_root(self, name: str) -> str:
        return f"{self.root}/{name}"

    def land(self, name: str, day: str, lines: list[bytes], per_file: int, first_partition: int = 0) -> list[str]:
        """Raw-sink files (topic+partition+first+last.jsonl) under <root>/<name>/ingest_date=day/, one Kafka
        partition per file from `first_partition`; returns their paths."""
        from ingestion.sink import raw_sink as sink
        from lake.pipeline import ddl
        from lake.runtime import hdfs_client

        c = hdfs_client.client(self.s)
        paths = []
        for n, i in enumerate(range(0, len(lines), per_file)):
            chunk = lines[i:i + per_file]
            name_ = sink.file_name("tweets.raw", first_partition + n, 0, len(chunk) - 1)
            path = f"{self.raw_root(name)}/ingest_date={day}/ingest_hour=00/{name_}"
            c.write(path, data=b"\n".join(chunk) + b"\n", overwrite=True)
            paths.append(path)
        ddl.apply_layer(self.s, "raw", RAW_DB=self.dbs(name).raw, RAW_ROOT=f"{self.s.hdfs_uri}{self.raw_root(name)}")
        return paths

    def cleanup(self, names) -> None:
        from lake.runtime import clients, hdfs_client

        for name in names:
            dbs = self.dbs(name)
            try:  # a view goes before its schema
                clients.trino(self.s, f"DROP VIEW IF EXISTS hive.{dbs.prefix}serving.tweets")
            except Exception:  # noqa: BLE001 - best-effort: the schemas still go
                pass
            for layer in LAYERS:
                schema = f"{dbs.prefix}{layer}"
                try:
                    clients.hive(self.s, f"DROP DATABASE IF EXISTS {schema} CASCADE")
                except Exception as e:  # noqa: BLE001 - report and go on: the other schemas still go
                    print(f"bench-{self.suite}: could not drop {schema}: {e}")
        hdfs_client.client(self.s).delete(self.base, recursive=True)
