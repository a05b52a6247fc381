"""What the build does outside Spark, between its Spark steps: schema names, the silver publish
through Trino and each layer's quality gates. The build's driver (spark/jobs/build.py) calls
these in its one application; lake/pipeline/build.py submits it.
"""
from __future__ import annotations

from dataclasses import dataclass

from lake.pipeline import quality
from lake.runtime import clients, config
from lake.settings import Settings

LAYERS = ("bronze", "silver", "gold")
SILVER_PUBLISH_SESSION = {
    # replace exactly the partitions written: the build owns them
    "hive.insert_existing_partitions_behavior": "OVERWRITE",
    "hive.compression_codec": "ZSTD",
}
# Open writers per publish statement. Each (day, bucket) writer of the sorted, bucketed silver.tweets
# holds its own sort buffer (hive.writer-sort-buffer-size, 16MB) and ORC writer in Trino: 30 days x 16
# buckets in one statement killed Trino's 3 GB heap (OutOfMemoryError, 2026-12-06), one day (16 writers)
# never did. 64 writers = 4 days of 16 buckets a statement.
PUBLISH_WRITERS = 64


@dataclass(frozen=True)
class Databases:
    """Schema names of one lake; tests use a prefix so their tables never meet the user's."""
    prefix: str = ""

    def __getattr__(self, layer: str) -> str:  # dbs.bronze -> "bronze" / "it_x_bronze"
        if layer in ("raw", "bronze", "silver", "gold", "ops"):
            return f"{self.prefix}{layer}"
        raise AttributeError(layer)

    def params(self) -> dict[str, str]:
        return {f"{k.upper()}_DB": getattr(self, k) for k in ("raw", "bronze", "silver", "gold", "ops")}


def sql_file(s: Settings, rel: str, params: dict[str, str]) -> str:
    path = s.root / "hive" / rel
    text = config.render_text(path.read_text(), params, origin=str(path))
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--")).strip().rstrip(";")


def publish_silver(s: Settings, dbs: Databases, written: list[str], emptied: list[str]) -> int:
    """silver.tweets_stage -> the bucketed silver.tweets, by Trino (Hive-hash buckets); returns statements run."""
    from lake.pipeline import ddl

    params = dbs.params()
    per_statement = max(1, PUBLISH_WRITERS // int(ddl.ddl_params(s)["SILVER_BUCKETS"]))
    days = sorted(written)
    chunks = [days[i:i + per_statement] for i in range(0, len(days), per_statement)]
    for chunk in chunks:
        clients.trino(s, sql_file(s, "dml/silver/publish_tweets.sql",
                                  {**params, "CREATED_DATES": quality.sql_dates(chunk, typed=True)}),
                      session=SILVER_PUBLISH_SESSION)
    if emptied:
        clients.trino(s, sql_file(s, "dml/silver/drop_emptied.sql",
                                  {**params, "EMPTIED_DATES": quality.sql_dates(emptied, typed=True)}))
    return len(chunks) + bool(emptied)


def gates(s: Settings, dbs: Databases, run_id: str, layer: str, ingest_dates, created_dates) -> list[quality.Gate]:
    """A layer's gates, run in one Trino statement and recorded in ops.quality_checks (not enforced here)."""
    found = quality.run_layer(s, layer, dbs.params(), ingest_dates, created_dates)
    quality.record(s, dbs.ops, run_id, found, created_dates or ingest_dates)
    return found
