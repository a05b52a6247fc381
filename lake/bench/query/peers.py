"""The peers: the same queries on the same Parquet files with Spark SQL (through the Spark
Thrift Server, so no session start-up is timed) and DuckDB (on a local copy of the files)."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from lake.bench.query.layouts import TABLE, location
from lake.runtime import hdfs_client
from lake.settings import Settings


class SparkPeer:
    name = "spark"
    catalog = "spark_catalog"

    def __init__(self, s: Settings):
        from pyhive import hive as pyhive

        self.conn = pyhive.connect(host=s.host, port=s.ports["thrift"], username=s.user, auth="NONE")

    def version(self) -> str:
        cur = self.conn.cursor()
        cur.execute("SELECT version()")
        return cur.fetchall()[0][0]

    def run(self, sql: str) -> tuple[list[tuple], float]:
        cur = self.conn.cursor()
        t0 = time.perf_counter()
        cur.execute(sql)
        rows = [tuple(r) for r in cur.fetchall()]
        return rows, (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.conn.close()


class DuckDbPeer:
    """DuckDB reads the table's Parquet files fetched over WebHDFS (hdfs package) into a
    local temp dir first; the copy is setup, never timed."""

    name = "duckdb"
    catalog = "memory"

    def __init__(self, s: Settings, tables: dict[str, str]):
        """tables: 'schema.table' -> HDFS directory."""
        import duckdb

        self.tmp = Path(tempfile.mkdtemp(prefix="bench-duckdb-"))
        self.db = duckdb.connect(":memory:")
        self.copied_bytes = 0
        client = hdfs_client.client(s)
        for name, hdfs_dir in tables.items():
            schema, table = name.split(".")
            local = self.tmp / schema / table
            local.mkdir(parents=True)
            files = fetch(client, hdfs_dir, local)
            self.copied_bytes += sum(f.stat().st_size for f in files)
            self.db.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            listing = ", ".join(f"'{f}'" for f in files)
            self.db.execute(f"CREATE VIEW {schema}.{table} AS SELECT * FROM read_parquet([{listing}])")

    def version(self) -> str:
        import duckdb

        return duckdb.__version__

    def run(self, sql: str) -> tuple[list[tuple], float]:
        t0 = time.perf_counter()
        rows = [tuple(r) for r in self.db.execute(sql).fetchall()]
        return rows, (time.perf_counter() - t0) * 1000

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def fetch(client, hdfs_dir: str, local: Path) -> list[Path]:
    """Every visible data file under hdfs_dir (recursively; Hive skips names starting _ or .)."""
    out = []
    for root, dirs, files in client.walk(hdfs_dir):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        for f in sorted(files):
            if f.startswith(("_", ".")):
                continue
            dest = local / f"{len(out):05d}-{f}"
            client.download(f"{root}/{f}", str(dest), overwrite=True)
            out.append(dest)
    return out


def duckdb_tables(s: Settings, schema: str, base_schema: str) -> dict[str, str]:
    return {f"{schema}.{TABLE}": location(s, schema), f"{base_schema}.dim_authors": location(s, base_schema, "dim_authors"),
            f"{base_schema}.dim_dates": location(s, base_schema, "dim_dates")}
