"""Smoke job: writes a small ORC Hive table through the shared metastore.

Submitted to YARN by `make smoke` and the integration tests; proves that a Spark
job runs on YARN, writes to HDFS and registers its table where Trino and the
Thrift Server can read it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))

from lake.runtime import spark as lake_spark  # noqa: E402

SCHEMA = "id BIGINT, name STRING, amount DOUBLE"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True, help="Hive schema (database) to create the table in")
    ap.add_argument("--rows", type=int, default=1000)
    args = ap.parse_args()

    spark = lake_spark.session(f"lake-smoke-{args.schema}")
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {args.schema}")
    # A Hive-format table (STORED AS ORC), not a Spark data-source table, so that
    # Trino and Beeline see the same table definition.
    spark.sql(f"CREATE TABLE IF NOT EXISTS {args.schema}.smoke ({SCHEMA}) STORED AS ORC")
    df = spark.range(args.rows).selectExpr("id", "concat('name-', id % 7) AS name", "id * 1.5 AS amount")
    df.createOrReplaceTempView("src")
    spark.sql(f"INSERT OVERWRITE TABLE {args.schema}.smoke SELECT id, name, amount FROM src")
    total = spark.sql(f"SELECT count(*), sum(amount) FROM {args.schema}.smoke").collect()[0]
    print(f"SMOKE_RESULT rows={total[0]} sum={total[1]}")
    spark.stop()


if __name__ == "__main__":
    main()
