"""The query benchmark's base data: seeded synthetic tweets -> bronze-shaped rows in one table.

    bench_generate.py --table bench_small_base.tweets --rows 200000 --chunks 8 --seed 5 \
                      --days 30 --anchor 2024-01-01 --format v2

No Kafka and no raw files: each executor task generates one chunk of the firehose
(ingestion.synthetic, seed * 1024 + chunk, so the chunk is also the snowflake worker
and ids never collide) and parses it with the bronze transforms (spark/transforms:
parse + pii), exactly the rows `make build` would give for the same payloads. Rows
are written in a pseudo-random order (xxhash64 of tweet_id): the base, and every
layout Trino copies from it, is not accidentally clustered by time, so "unsorted"
and "unpartitioned" mean what they say. A rerun with the table already holding the
rows it would write does nothing. Prints `BENCH_GENERATE {json}`.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.types import IntegerType, StructField, StructType  # noqa: E402

from lake.runtime import spark as lake_spark  # noqa: E402
from spark.transforms import pii as pii_mod  # noqa: E402
from spark.transforms.schema import BRONZE_SCHEMA  # noqa: E402

MAX_CHUNKS = 1024  # snowflake worker bits (ingestion/sources/snowflake.py)
# The base schema: bronze columns, created_date last, plus created_hour for the day/hour layout.
BASE_SCHEMA = StructType([*BRONZE_SCHEMA.fields, StructField("created_hour", IntegerType(), False)])


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", required=True, help="schema.table to fill (created if missing)")
    ap.add_argument("--rows", type=int, required=True, help="tweets to generate")
    ap.add_argument("--chunks", type=int, default=8, help=f"generator tasks, 1..{MAX_CHUNKS}")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--anchor", default="2024-01-01", help="created_at < this date (UTC)")
    ap.add_argument("--format", default="v2", choices=("v1", "v2"))
    ap.add_argument("--files", type=int, default=4, help="files of the base table")
    args = ap.parse_args(argv)
    if not 1 <= args.chunks <= MAX_CHUNKS or args.rows < args.chunks:
        ap.error(f"--chunks must be within 1..{MAX_CHUNKS} and at most --rows")
    return args


def code_zip(tmp: Path) -> Path:
    """ingestion (the generator, with its sub-packages) and spark/transforms (the parser) for the
    executors' sys.path. Recursive: the generator lives in ingestion/sources/ since the layout split."""
    out = tmp / "bench_generate_code.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.write(REPO / "spark" / "__init__.py", "spark/__init__.py")
        for pkg, suffixes in (("spark/transforms", (".py", ".yaml")), ("ingestion", (".py",))):
            for f in sorted((REPO / pkg).rglob("*")):
                if f.is_file() and f.suffix in suffixes and "__pycache__" not in f.parts:
                    zf.write(f, str(f.relative_to(REPO)))
    return out


def chunk_rows(rows: int, chunks: int, c: int) -> int:
    return rows // chunks + (1 if c < rows % chunks else 0)


def generate_chunk(args: argparse.Namespace, pii: pii_mod.Pii, payload_bytes):
    cols = BRONZE_SCHEMA.fieldNames()
    anchor = datetime.fromisoformat(args.anchor).replace(tzinfo=timezone.utc)

    def run(chunk: int):
        from ingestion.sources import synthetic
        from spark.transforms import parse

        n = chunk_rows(args.rows, args.chunks, chunk)
        meta = {"ingest_date": args.anchor, "ingest_hour": "00", "source_file": f"bench-chunk-{chunk:04d}",
                "kafka_partition": chunk}
        size = 0
        for i, rec in enumerate(synthetic.generate(n, seed=args.seed * MAX_CHUNKS + chunk, days=args.days,
                                                   fmt=args.format, anchor=anchor)):
            size += len(rec.payload)
            row, rej = parse.to_bronze(rec.payload, {**meta, "kafka_offset": i}, pii)
            if rej is None:
                yield (*(row[c] for c in cols), row["created_at"].astimezone(timezone.utc).hour)
        payload_bytes.add(size)

    return run


def table_rows(spark: SparkSession, table: str) -> int | None:
    return spark.table(table).count() if spark.catalog.tableExists(table) else None


def main(argv=None) -> dict:
    args = parse_args(argv)
    t0 = time.monotonic()
    spark = lake_spark.session(f"lake-bench-generate-{args.table}", {"spark.sql.orc.compression.codec": "zstd"})
    result = {"table": args.table, "rows_requested": args.rows}
    try:
        schema = args.table.split(".")[0]
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {schema}")
        cols = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in BASE_SCHEMA.fields)
        spark.sql(f"CREATE TABLE IF NOT EXISTS {args.table} ({cols}) STORED AS ORC "
                  f"TBLPROPERTIES ('bench.rows_requested'='{args.rows}', 'bench.seed'='{args.seed}')")
        props = {r.key: r.value for r in spark.sql(f"SHOW TBLPROPERTIES {args.table}").collect()}
        have = table_rows(spark, args.table)
        if have and props.get("bench.complete") == f"{args.rows}/{args.seed}/{args.days}/{args.anchor}":
            result.update(status="reused", rows=have)
        else:
            pii = pii_mod.from_env()  # the key stays on the driver; executors get the pickled Pii
            payload_bytes = spark.sparkContext.accumulator(0)
            with tempfile.TemporaryDirectory() as tmp:
                spark.sparkContext.addPyFile(str(code_zip(Path(tmp))))
                rdd = spark.sparkContext.parallelize(range(args.chunks), args.chunks) \
                    .flatMap(generate_chunk(args, pii, payload_bytes))
                df = spark.createDataFrame(rdd, BASE_SCHEMA)
                shuffled = df.repartition(args.files, F.xxhash64("tweet_id")) \
                    .sortWithinPartitions(F.xxhash64("tweet_id", F.lit(args.seed)))
                shuffled.write.insertInto(args.table, overwrite=True)
            rows = spark.table(args.table).count()
            distinct = spark.table(args.table).select("tweet_id").distinct().count()
            if distinct != rows:
                raise SystemExit(f"bench_generate: {rows - distinct} duplicate tweet ids in {args.table}")
            spark.sql(f"ALTER TABLE {args.table} SET TBLPROPERTIES ('bench.complete'="
                      f"'{args.rows}/{args.seed}/{args.days}/{args.anchor}', "
                      f"'bench.payload_bytes'='{payload_bytes.value}')")
            result.update(status="generated", rows=rows, payload_bytes=payload_bytes.value)
        props = {r.key: r.value for r in spark.sql(f"SHOW TBLPROPERTIES {args.table}").collect()}
        result["payload_bytes"] = int(props.get("bench.payload_bytes", 0)) or None
    finally:
        spark.stop()
    result["seconds"] = round(time.monotonic() - t0, 1)
    print("BENCH_GENERATE " + json.dumps(result, sort_keys=True), flush=True)
    return result


if __name__ == "__main__":
    main()
