"""raw.tweets -> bronze.tweets (+ tweets_rejected, tweets_loaded_files) for given ingest dates.

    build_bronze.py --date 2024-01-01 | --from 2024-01-01 --to 2024-01-07 | --pending
                    [--raw-table raw.tweets] [--bronze-db bronze]

Reads the raw-sink files of the ingest dates (each file whole, so every line gets
its exact Kafka offset), parses each record with spark/transforms (pure Python,
shared with a later streaming layer), deduplicates by tweet_id keeping the latest
ingest, merges with the rows other ingest dates already put in the created_date
partitions it touches, and overwrites exactly those partitions. A rerun for the
same dates gives the same table. Prints `BRONZE_RESULT {json}`: raw records =
bronze rows + duplicates + rejects.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))

from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.types import StructField, StructType  # noqa: E402

from spark.jobs import common  # noqa: E402
from spark.jobs.ledger import complied, scrubbed  # noqa: E402
from spark.transforms import parse  # noqa: E402
from spark.transforms import pii as pii_mod  # noqa: E402
from spark.transforms.schema import BRONZE_SCHEMA, LOADED_FILES_SCHEMA, REJECTED_SCHEMA  # noqa: E402

# The latest ingest of a tweet wins; the rest only make the order total (deterministic reruns).
BRONZE_TABLES = ("tweets", "tweets_rejected", "tweets_loaded_files")
LATEST_FIRST = ["ingest_date", "ingest_hour", "kafka_offset", "kafka_partition", "source_file"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--date", type=common.day, help="one ingest date YYYY-MM-DD")
    which.add_argument("--from", dest="date_from", type=common.day, help="first ingest date of a range (with --to)")
    which.add_argument("--dates", type=common.day_list, help="comma-separated ingest dates")
    which.add_argument("--pending", action="store_true",
                       help="every ingest date with a raw file not in <bronze-db>.tweets_loaded_files")
    ap.add_argument("--to", dest="date_to", type=common.day, help="last ingest date of the range, inclusive")
    ap.add_argument("--raw-table", default="raw.tweets")
    ap.add_argument("--bronze-db", default="bronze")
    args = ap.parse_args(argv)
    if (args.date_from is None) != (args.date_to is None):
        ap.error("--from and --to go together")
    if args.date_from and args.date_from > args.date_to:
        ap.error(f"--from {args.date_from} is after --to {args.date_to}")
    return args


# ---- raw files ----------------------------------------------------------------------------------
def table_location(spark: SparkSession, table: str) -> str:
    for row in spark.sql(f"DESCRIBE FORMATTED {table}").collect():
        if (row.col_name or "").strip() == "Location":
            return row.data_type.strip().rstrip("/")
    raise SystemExit(f"build_bronze: {table} has no location (is it the raw sink's external table?)")


def raw_files(spark: SparkSession, location: str, day: str = "*") -> dict[tuple[str, str], tuple[str, int]]:
    """(ingest_date, file name) -> (full path, bytes) of the sink's files under the raw location.

    Listed from HDFS rather than from metastore partitions: a folder the sink landed but
    could not register yet (Thrift Server down) is still loaded."""
    jvm = spark.sparkContext._jvm
    Path_ = jvm.org.apache.hadoop.fs.Path
    root = Path_(location)
    fs = root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = {}
    for st in fs.globStatus(Path_(f"{location}/ingest_date={day}/ingest_hour=*/*.jsonl")) or []:
        if not st.isFile():
            continue
        path = st.getPath().toString()
        meta = parse.meta_for_file(path)
        if meta["ingest_date"]:
            out[(meta["ingest_date"], meta["source_file"])] = (path, st.getLen())
    return out


def pending_dates(spark: SparkSession, files: dict, loaded_table: str) -> list[str]:
    """The dates whose raw files differ from what bronze loaded: the rule lake_batch's plan asks
    through WebHDFS and Trino (lake/pipeline/pending.py), here on the files the build lists."""
    from lake.pipeline.pending import unloaded_dates

    loaded = {r.ingest_date: (int(r.n), int(r.b)) for r in spark.table(loaded_table).groupBy("ingest_date")
              .agg(F.count("*").alias("n"), F.sum("file_bytes").alias("b")).collect()}
    raw: dict[str, tuple[int, int]] = {}
    for (day, _name), (_path, size) in files.items():
        n, b = raw.get(day, (0, 0))
        raw[day] = (n + 1, b + size)
    return unloaded_dates(raw, loaded)


# ---- the build ----------------------------------------------------------------------------------
def earlier_partitions(spark: SparkSession, table, loaded_table: str, dates: list[str]) -> set:
    """The created_date partitions where earlier loads of these ingest dates put rows, so a date that
    shrank leaves nothing behind: from tweets_loaded_files (a few rows a date) rather than a scan of
    bronze's ingest_date column over every partition (7 s of a one-hour build on a month). A load
    recorded before that column existed falls back to the scan. The recorded set can only be larger
    than today's (a later ingest may have superseded a kept row elsewhere): an extra partition is
    rewritten with the same rows, never one forgotten."""
    from datetime import date as date_

    recorded = spark.table(loaded_table).where(F.col("ingest_date").isin(dates)).select("created_dates").collect()
    if any(r.created_dates is None for r in recorded):
        return {r[0] for r in table.where(F.col("ingest_date").isin(dates)).select("created_date").distinct().collect()}
    return {date_.fromisoformat(d) for r in recorded for d in r.created_dates.split(",") if d}


def latest_per_tweet(df):
    w = Window.partitionBy("tweet_id").orderBy(*[F.col(c).desc_nulls_last() for c in LATEST_FIRST])
    return df.withColumn("_rank", F.row_number().over(w)).where("_rank = 1").drop("_rank")


PAIR = StructType([StructField("b", BRONZE_SCHEMA), StructField("r", REJECTED_SCHEMA)])


# Raw files are read as lines, each file whole inside one task (so a line's place in its file, its
# Kafka offset, is its order in the task): a file opens at a cost larger than the sink's largest file
# (it rolls at 64 MiB), so Spark neither splits a file nor packs two into one split.
UNSPLIT_FILES = {"spark.sql.files.openCostInBytes": str(256 << 20), "spark.sql.files.maxPartitionBytes": str(256 << 20)}


def parse_raw(spark: SparkSession, paths: list[str], pii: pii_mod.Pii):
    """(raw line count, parsed DataFrame of (b: bronze row | null, r: reject row | null), cached).

    The files' lines stream through columnar.bronze_arrow in Arrow batches. The line count comes
    from Spark's own line reader, independently."""
    from spark.transforms import columnar  # executors import it from the shipped zip

    if not paths:
        return 0, spark.createDataFrame([], PAIR)
    raw_records = spark.read.text(paths).count()
    before = {k: spark.conf.get(k) for k in UNSPLIT_FILES}
    for k, v in UNSPLIT_FILES.items():
        spark.conf.set(k, v)
    try:
        lines = spark.read.text(paths).select(F.col("_metadata.file_path").alias("path"), "value")
        parsed = lines.mapInArrow(columnar.bronze_arrow(pii), PAIR).persist(StorageLevel.MEMORY_AND_DISK)
        parsed.count()  # plans and runs the scan while the settings hold; cached from here
    finally:
        for k, v in before.items():
            spark.conf.set(k, v)
    return raw_records, parsed


# bronze's columns a scrub_geo event empties: the tweet's place and its exact point
GEO_COLUMNS = ("place_id", "place_name", "place_full_name", "place_type", "country", "country_name", "place_bbox",
               "geo_lat", "geo_lon")


def without_geo(df, scrub: dict[str, int]):
    """bronze rows with the place and point of scrubbed tweets emptied."""
    if not scrub:
        return df
    hit = scrubbed(F.col("author_key"), F.col("tweet_id"), scrub)
    return df.select(*[F.when(hit, F.lit(None)).otherwise(F.col(c)).alias(c) if c in GEO_COLUMNS else F.col(c)
                       for c in df.columns])


def without_complied(parsed, ids: list[int], keys: list[str], scrub: dict[str, int] | None = None):
    """parsed with every row of a removed tweet or author turned into a `redacted` reject (no id kept),
    and the tweet id taken off rejects of removed tweets: a rebuild of an old date, a replayed file or
    a re-ingest of the same id never brings a removed tweet back. Counted as rejects, so the
    reconciliation (raw = rows + duplicates + rejects) still holds."""
    if not ids and not keys and not scrub:
        return parsed
    b = F.col("b")
    if scrub:  # a scrubbed tweet keeps its row, without its place and point
        emptied = b
        for c in GEO_COLUMNS:
            emptied = emptied.withField(c, F.lit(None).cast(BRONZE_SCHEMA[c].dataType))
        b = F.when(scrubbed(F.col("b.author_key"), F.col("b.tweet_id"), scrub), emptied).otherwise(b)
    removed = F.col("b").isNotNull() & (F.col("b.tweet_id").isin(ids) | F.col("b.author_key").isin(keys))
    redacted = F.struct(F.lit(parse.REDACTED).alias("reason"),
                        F.lit("removed by a compliance event (ops.compliance_events)").alias("detail"),
                        F.lit(None).cast("string").alias("tweet_id"), F.lit(None).cast("int").alias("payload_bytes"),
                        *(F.col(f"b.{c}").alias(c) for c in ("ingest_hour", "source_file", "kafka_partition",
                                                             "kafka_offset", "ingest_date")))
    named = F.col("r").isNotNull() & F.col("r.tweet_id").isin([str(i) for i in ids])
    return parsed.select(F.when(removed, F.lit(None)).otherwise(b).alias("b"),
                         F.when(removed, redacted)
                         .when(named, F.col("r").withField("tweet_id", F.lit(None).cast("string")))
                         .otherwise(F.col("r")).alias("r"))


def per_file_counts(parsed) -> dict[tuple[str, str], tuple[int, int]]:
    """(ingest_date, file) -> (bronze rows parsed, rejects). Refuses a file whose lines did not get
    the consecutive offsets first..first+n-1 exactly once (a file split across tasks would)."""
    is_row = F.col("b").isNotNull().cast("long")
    offset = F.coalesce("b.kafka_offset", "r.kafka_offset")
    rows = parsed.select(F.coalesce("b.ingest_date", "r.ingest_date").alias("ingest_date"),
                         F.coalesce("b.source_file", "r.source_file").alias("source_file"), is_row.alias("ok"),
                         offset.alias("offset")) \
        .groupBy("ingest_date", "source_file").agg(
            F.sum("ok").alias("ok"), F.sum(1 - F.col("ok")).alias("bad"), F.min("offset").alias("lo"),
            F.max("offset").alias("hi"), F.countDistinct("offset").alias("offsets"))
    out = {}
    for r in rows.collect():
        n = r.ok + r.bad
        m = parse.SINK_FILE.match(r.source_file)
        first = int(m["first"]) if m else 0
        if r.offsets != n or r.lo != first or r.hi != first + n - 1:
            raise SystemExit(f"build_bronze: {r.source_file}: {n} lines got offsets {r.lo}..{r.hi} ({r.offsets} "
                             f"distinct), not {first}..{first + n - 1}; nothing written")
        out[(r.ingest_date, r.source_file)] = (r.ok, r.bad)
    return out


def build(spark: SparkSession, dates: list[str], files: dict, db: str, pii: pii_mod.Pii,
          ledger: str | None = None) -> dict:
    """`ledger`: the compliance ledger (<ops>.compliance_events); rows it removed never come back."""
    t0 = time.monotonic()
    tweets, rejected, loaded = f"{db}.tweets", f"{db}.tweets_rejected", f"{db}.tweets_loaded_files"
    day_set = set(dates)
    mine_filter = F.col("ingest_date").isin(dates)

    # 1. parse every line of every file once (Python); refuse to write if a line went missing
    with common.timed("bronze.parse"):
        raw_records, cached = parse_raw(spark, sorted(p for (d, _), (p, _) in files.items() if d in day_set), pii)
        removed_ids, removed_keys, scrub = complied(spark, ledger)
        parsed = without_complied(cached, removed_ids, removed_keys, scrub)
        counts = per_file_counts(parsed)
    parsed_ok, n_rejects = sum(ok for ok, _ in counts.values()), sum(bad for _, bad in counts.values())
    if parsed_ok + n_rejects != raw_records:
        raise SystemExit(f"build_bronze: parsed {parsed_ok + n_rejects} records but Spark reads {raw_records} "
                         "raw lines; nothing written")
    new_rows = parsed.where("b IS NOT NULL").select("b.*")
    rejects = parsed.where("r IS NOT NULL").select("r.*")

    # 2. the created_date partitions this run owns: where its rows go, and where earlier loads
    #    of the same ingest dates put rows (so a raw date that shrank leaves nothing behind)
    with common.timed("bronze.owned_partitions"):
        table = spark.table(tweets)
        touched = {r[0] for r in new_rows.select("created_date").distinct().collect()}
        touched |= earlier_partitions(spark, table, loaded, dates)
        others = table.where(F.col("created_date").isin(sorted(touched)) & ~mine_filter) if touched \
            else table.limit(0)
        if removed_ids or removed_keys:
            others = others.where(~(F.col("tweet_id").isin(removed_ids) | F.col("author_key").isin(removed_keys)))
        others = without_geo(others, scrub)

    # 3. the latest ingest per tweet over this run's rows and the other dates' rows in those
    #    partitions, materialised before the overwrite: the plan reads the partitions it replaces
    with common.timed("bronze.dedupe"):
        final = latest_per_tweet(new_rows.unionByName(others)).select(*BRONZE_SCHEMA.fieldNames())
        final = final.localCheckpoint(eager=True)
        kept, kept_in = {}, {}
        for r in final.where(mine_filter).groupBy("ingest_date", "source_file", "created_date").count().collect():
            key = (r.ingest_date, r.source_file)
            kept[key] = kept.get(key, 0) + r[3]
            kept_in.setdefault(key, set()).add(str(r.created_date))
        written = {r.created_date: r[1] for r in final.groupBy("created_date").count().collect()}
        others_before = others.count() if touched else 0

    # 4. overwrite exactly the owned partitions (dynamic overwrite), drop the ones left empty;
    #    tweets_loaded_files last, so a run that dies midway stays pending
    with common.timed("bronze.write tweets"):
        final.write.insertInto(tweets, overwrite=True)
    common.drop_partitions(spark, tweets, "created_date", touched - set(written))
    with common.timed("bronze.write rejects+files"):
        rejects.write.insertInto(rejected, overwrite=True)
    common.drop_partitions(spark, rejected, "ingest_date", day_set - {d for (d, _), (_, bad) in counts.items() if bad})
    file_rows = [(name, size, sum(counts.get((d, name), (0, 0))), kept.get((d, name), 0),
                  counts.get((d, name), (0, 0))[0] - kept.get((d, name), 0), counts.get((d, name), (0, 0))[1],
                  ",".join(sorted(kept_in.get((d, name), ()))), d)
                 for (d, name), (_, size) in sorted(files.items()) if d in day_set]
    spark.createDataFrame(file_rows, LOADED_FILES_SCHEMA).write.insertInto(loaded, overwrite=True)
    common.drop_partitions(spark, loaded, "ingest_date", day_set - {row[-1] for row in file_rows})

    # 5. reconcile against what the tables now hold, read back
    with common.timed("bronze.reconcile"):
        for t in (tweets, rejected):
            spark.catalog.refreshTable(t)
        in_table = spark.table(tweets).where(F.col("created_date").isin(sorted(written)) & mine_filter).count() \
            if written else 0
        by_reason = dict(sorted((r.reason, r[1]) for r in
                                spark.table(rejected).where(mine_filter).groupBy("reason").count().collect()))
        cached.unpersist()
    bronze_rows, rows_written = sum(kept.values()), sum(written.values())
    return {
        "ingest_dates": dates,
        "raw_files": len(file_rows),
        "raw_records": raw_records,
        "bronze_rows": bronze_rows,
        "duplicates": parsed_ok - bronze_rows,
        "rejects": n_rejects,
        "rejects_by_reason": by_reason,
        "reconciles": raw_records == in_table + (parsed_ok - bronze_rows) + sum(by_reason.values())
        and in_table == bronze_rows and sum(by_reason.values()) == n_rejects,
        "superseded_rows_of_other_dates": others_before - (rows_written - bronze_rows),
        "created_dates": sorted(str(d) for d in touched),  # written or emptied: what silver/gold must redo
        "created_dates_written": len(written),
        "created_dates_dropped": len(touched - set(written)),
        "rows_in_written_partitions": rows_written,
        "seconds": round(time.monotonic() - t0, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    pii = pii_mod.from_env()  # key from LAKE_PII_KEY or the lake's secret store, on the driver only
    spark = common.session(f"lake-build-bronze-{args.bronze_db}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spark.sparkContext.addPyFile(str(common.code_zip(Path(tmp))))
            common.require_tables(spark, "build_bronze", (args.raw_table, *(f"{args.bronze_db}.{n}" for n in BRONZE_TABLES)),
                                  "raw / bronze")
            location = table_location(spark, args.raw_table)
            if args.pending:
                files = raw_files(spark, location)
                dates = pending_dates(spark, files, f"{args.bronze_db}.tweets_loaded_files")
            else:
                dates = [args.date] if args.date else args.dates if args.dates is not None \
                    else common.date_range(args.date_from, args.date_to)
                files = {}
                for d in dates:
                    files.update(raw_files(spark, location, d))
            if dates:
                result = build(spark, dates, files, args.bronze_db, pii)
            else:
                result = {"ingest_dates": [], "raw_files": 0, "raw_records": 0, "bronze_rows": 0, "duplicates": 0,
                          "rejects": 0, "rejects_by_reason": {}, "reconciles": True, "created_dates": []}
    finally:
        spark.stop()
    common.emit("BRONZE_RESULT", result)
    if not result["reconciles"]:
        raise SystemExit("build_bronze: reconciliation failed (see BRONZE_RESULT)")
    return result


if __name__ == "__main__":
    main()
