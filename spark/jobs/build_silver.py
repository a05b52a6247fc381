"""bronze.tweets -> silver.tweets_stage + silver.tweet_hashtags for given created dates.

    build_silver.py --dates 2024-01-01,2024-01-02 [--bronze-db bronze] [--silver-db silver]

Every bronze row of those created_date partitions goes through
spark/transforms/columnar.silver_batch (the same code the speed layer runs), and the
result overwrites exactly those partitions of the stage table and of
tweet_hashtags (a date bronze no longer has is emptied). lake/pipeline/build.py then
has Trino publish the stage into the bucketed silver.tweets (Spark cannot
write Hive-hash buckets Trino trusts; docs/modeling.md). Prints
`SILVER_RESULT {json}`.
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

from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.types import ArrayType, StringType, StructField, StructType  # noqa: E402

from spark.jobs import common  # noqa: E402
from spark.transforms import edits  # noqa: E402
from spark.transforms.schema import SILVER_SCHEMA, SILVER_TABLE_SCHEMA  # noqa: E402

HASHTAG_COLUMNS = ["tweet_id", "hashtag", "created_at", "author_key", "lang", "country", "sentiment_label",
                   "engagement", "hashtag_display", "created_date"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dates", type=common.day_list, required=True, help="comma-separated created dates")
    ap.add_argument("--bronze-db", default="bronze")
    ap.add_argument("--silver-db", default="silver")
    return ap.parse_args(argv)


def enriched_rows(bronze):
    """silver rows of a bronze DataFrame, and each hashtag's spelling in its text (hashtag_spellings, last):
    columnar.silver_batch over its Arrow batches."""
    from spark.transforms import columnar  # executors import it from the shipped zip (spark.jobs is not shipped)

    schema = StructType(SILVER_SCHEMA.fields + [StructField("hashtag_spellings", ArrayType(StringType()))])
    return bronze.mapInArrow(columnar.silver_arrow, schema)


def edit_chains(bronze_all) -> tuple[dict[int, edits.Chain], list[edits.Member]]:
    """The edit chains bronze holds (spark/transforms/edits.py), from the rows of edited chains only: every
    version of a chain that has a row saying it was edited (a history longer than one), on any date.
    One scan of bronze's four edit columns; the chains themselves are few and ruled on the driver. A row
    built before the columns existed (NULLs) is a chain of one, as parse._edit_chain makes a tweet
    without a history."""
    root = F.coalesce("edit_root_id", "tweet_id")
    rows = bronze_all.select("tweet_id", root.alias("edit_root_id"),
                             F.coalesce("edit_versions", F.lit(1)).alias("edit_versions"), "created_date")
    edited = rows.where((F.col("edit_versions") > 1) | (F.col("edit_root_id") != F.col("tweet_id"))) \
        .select("edit_root_id").distinct()
    members = [edits.Member(r.tweet_id, r.edit_root_id, r.edit_versions, str(r.created_date))
               for r in rows.join(F.broadcast(edited), "edit_root_id", "left_semi").collect()]
    return edits.chains(members), members


def build(spark, dates: list[str], bronze_db: str, silver_db: str, found=None) -> dict:
    """found: edit_chains' answer when the caller has it and already widened `dates` with it (build.py: gold
    rebuilds the same dates)."""
    t0 = time.monotonic()
    stage, hashtags = f"{silver_db}.tweets_stage", f"{silver_db}.tweet_hashtags"
    bronze_all = spark.table(f"{bronze_db}.tweets")
    with common.timed("silver.edit_chains"):
        chains, members = found or edit_chains(bronze_all)
        if found is None:  # + the other partitions of chains edited in these
            dates = edits.dates_to_rebuild(chains, dates)
        old = sorted(edits.superseded(chains, members))
        latest = spark.createDataFrame([(c.latest_id, root, c.edit_count) for root, c in chains.items()],
                                       "tweet_id BIGINT, edit_root_id BIGINT, edit_count INT")
    bronze = bronze_all.where(F.col("created_date").isin(dates))
    bronze_rows = bronze.count()
    # silver keeps the latest version of each edit chain (bronze keeps them all)
    kept = bronze.join(F.broadcast(spark.createDataFrame([(i,) for i in old], "tweet_id BIGINT")), "tweet_id",
                       "left_anti").select(*bronze.columns) if old else bronze
    kept_rows = kept.count() if old else bronze_rows
    enriched = enriched_rows(kept)
    with common.timed("silver.enrich"):
        enriched = enriched.localCheckpoint(eager=True)  # enrichment is Python: run it once for both tables
    enriched = enriched.join(F.broadcast(latest.withColumnRenamed("edit_root_id", "_root")
                                         .withColumnRenamed("edit_count", "_edits")), "tweet_id", "left") \
        .withColumn("edit_root_id", F.coalesce("_root", "tweet_id")) \
        .withColumn("edit_count", F.coalesce("_edits", F.lit(0)).cast("int")).drop("_root", "_edits")

    written = {str(r.created_date): r[1] for r in enriched.groupBy("created_date").count().collect()}
    with common.timed("silver.write stage+hashtags"):
        enriched.select(*SILVER_TABLE_SCHEMA.fieldNames()).write.insertInto(stage, overwrite=True)
        common.drop_partitions(spark, stage, "created_date", set(dates) - set(written))
        tags = enriched.select("*", F.posexplode("hashtags").alias("_i", "hashtag")) \
            .withColumn("hashtag_display", F.col("hashtag_spellings")[F.col("_i")]).select(*HASHTAG_COLUMNS)
        tag_rows = {str(r.created_date): r[1] for r in tags.groupBy("created_date").count().collect()}
        tags.write.insertInto(hashtags, overwrite=True)
        common.drop_partitions(spark, hashtags, "created_date", set(dates) - set(tag_rows))

    spark.catalog.refreshTable(stage)
    in_stage = spark.table(stage).where(F.col("created_date").isin(dates)).count()
    labels = {r.sentiment_label: r[1] for r in enriched.groupBy("sentiment_label").count().collect()}
    resolved = enriched.where("country IS NOT NULL").count()
    return {
        "created_dates": dates,
        "created_dates_written": sorted(written),
        "bronze_rows": bronze_rows,
        "superseded_versions": bronze_rows - kept_rows,  # older versions of edited tweets: bronze only
        "edit_chains": len(chains),
        "silver_rows": in_stage,
        "hashtag_rows": sum(tag_rows.values()),
        "sentiment_labels": labels,
        "country_resolved": resolved,
        "reconciles": in_stage == kept_rows == sum(written.values()),
        "seconds": round(time.monotonic() - t0, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    spark = common.session(f"lake-build-silver-{args.silver_db}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spark.sparkContext.addPyFile(str(common.code_zip(Path(tmp))))
            common.require_tables(spark, "build_silver", (f"{args.bronze_db}.tweets", f"{args.silver_db}.tweets_stage",
                                                          f"{args.silver_db}.tweet_hashtags"), "silver")
            result = build(spark, args.dates, args.bronze_db, args.silver_db) if args.dates else \
                {"created_dates": [], "bronze_rows": 0, "silver_rows": 0, "reconciles": True}
    finally:
        spark.stop()
    common.emit("SILVER_RESULT", result)
    if not result["reconciles"]:
        raise SystemExit("build_silver: silver rows do not match bronze rows (see SILVER_RESULT)")
    return result


if __name__ == "__main__":
    main()
