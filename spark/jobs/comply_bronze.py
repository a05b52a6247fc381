"""Bronze without the rows the compliance ledger removed, rewritten in place: `make comply`'s bronze step.

`make comply` (lake/pipeline/comply.py) has already redacted raw: each record of a removed tweet or
author is the line parse.REDACTED_LINE, in the same place of the same file. A rebuild of the ingest dates
from that raw would give bronze exactly what this module writes, but it parses every record of those
dates again (80 s of a 1M-tweet build) and rewrites every created date they feed. Here only what changes
is rewritten, from bronze itself:

- bronze.tweets: the created_date partitions holding a removed row, or a row a scrub_geo event covers
  that still has a location, overwritten without those rows (and without those locations);
- bronze.tweets_rejected: the ingest_date partitions where a redaction line has no `redacted` reject yet,
  a bronze row was removed, or a reject names a removed tweet: each redaction line becomes the reject a
  rebuild would make of it (parse's own), a reject of a removed tweet loses the id (without_complied);
- bronze.tweets_loaded_files: those ingest dates' files get their new size and counts from the tables as
  written, so the rewritten raw files are not pending and raw = rows + duplicates + rejects still holds.

Written in that order, tweets_loaded_files last: a run cut short leaves the files pending or bronze
rows still named by the ledger, and the next `make comply` finds them again. Test: the targeted result
equals a rebuild of the same raw, table for table (tests/integration/test_comply.py).
"""
from __future__ import annotations

import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark.jobs import common
from spark.jobs.build_bronze import GEO_COLUMNS, without_geo
from spark.jobs.ledger import complied, scrubbed
from spark.transforms import parse
from spark.transforms.schema import LOADED_FILES_SCHEMA, REJECTED_SCHEMA

REMOVED_DETAIL = "removed by a compliance event (ops.compliance_events)"


def redaction_reject(path: str, offset: int) -> tuple:
    """The bronze.tweets_rejected row of the redaction line at `offset` of the raw file `path`: what the
    build's parser makes of that line (parse.extract refuses it as `redacted`)."""
    try:
        parse.extract(parse.REDACTED_LINE)
    except parse.Bad as e:
        meta = {**parse.meta_for_file(path), "kafka_offset": offset}
        row = parse.reject_row(e.reject(), parse.REDACTED_LINE, meta)
        return tuple(row.get(f.name) if f.name != "ingest_date" else meta["ingest_date"] for f in REJECTED_SCHEMA)
    raise AssertionError("parse.extract accepted the redaction line")


def apply(spark: SparkSession, db: str, ledger: str, files: dict[str, dict]) -> dict:
    """`files`: raw path -> {"bytes": size now, "redacted": [Kafka offsets of its redaction lines]} of the
    raw files comply read (a file it did not read has not changed since bronze loaded it, or is pending).
    Returns BRONZE_RESULT's fields for the ingest dates whose bookkeeping changed."""
    t0 = time.monotonic()
    tweets, rejected, loaded = f"{db}.tweets", f"{db}.tweets_rejected", f"{db}.tweets_loaded_files"
    ids, keys, scrub = complied(spark, ledger)
    table = spark.table(tweets)
    gone = (F.col("tweet_id").isin(ids) | F.col("author_key").isin(keys)) if ids or keys else F.lit(False)
    located = F.lit(False)
    for c in GEO_COLUMNS:
        located = located | F.col(c).isNotNull()
    hit = gone | (scrubbed(F.col("author_key"), F.col("tweet_id"), scrub) & located)

    # 1. the rows to change, few: found with one scan of bronze's key columns
    with common.timed("bronze.comply find rows"):
        found = table.where(hit).select("created_date", "ingest_date", "ingest_hour", "source_file",
                                        "kafka_partition", "kafka_offset", gone.alias("gone")).collect()
    created = sorted({r.created_date for r in found})
    removed = [r for r in found if r.gone]

    # 2. bronze.tweets: those created dates without the removed rows and the scrubbed locations
    written: dict = {}
    if created:
        with common.timed("bronze.comply rewrite tweets"):
            kept = without_geo(table.where(F.col("created_date").isin(created) & ~gone), scrub)
            kept = kept.localCheckpoint(eager=True)  # the overwrite replaces what it reads
            written = {r.created_date: r[1] for r in kept.groupBy("created_date").count().collect()}
            kept.write.insertInto(tweets, overwrite=True)
            common.drop_partitions(spark, tweets, "created_date", set(created) - set(written))

    # 3. tweets_rejected: the ingest dates where a redaction line, a removed row or a named reject says so
    redactions = [(parse.meta_for_file(p)["ingest_date"], parse.meta_for_file(p)["source_file"], int(o))
                  for p, f in files.items() for o in f.get("redacted", ())]
    red = spark.createDataFrame(redactions, "ingest_date string, source_file string, kafka_offset bigint")
    old = spark.table(rejected)
    named = F.col("tweet_id").isin([str(i) for i in ids]) if ids else F.lit(False)
    with common.timed("bronze.comply rewrite rejects"):
        dates = {r.ingest_date for r in removed}
        dates |= {r[0] for r in old.where(named).select("ingest_date").distinct().collect()}
        dates |= {r[0] for r in red.join(old.where(F.col("reason") == parse.REDACTED),
                                         ["ingest_date", "source_file", "kafka_offset"], "left_anti")
                  .select("ingest_date").distinct().collect()}
        sizes = {(parse.meta_for_file(p)["ingest_date"], parse.meta_for_file(p)["source_file"]): int(f["bytes"])
                 for p, f in files.items()}
        old_files = spark.table(loaded)
        dates |= {r.ingest_date for r in old_files.select("ingest_date", "source_file", "file_bytes").collect()
                  if (r.ingest_date, r.source_file) in sizes and sizes[(r.ingest_date, r.source_file)] != r.file_bytes}
        dates = sorted(d for d in dates if d)
        if dates:
            mine = F.col("ingest_date").isin(dates)
            keep_cols = [f.name for f in REJECTED_SCHEMA]
            base = old.where(mine).join(red, ["ingest_date", "source_file", "kafka_offset"], "left_anti") \
                .withColumn("tweet_id", F.when(named, F.lit(None).cast("string")).otherwise(F.col("tweet_id"))) \
                .select(*keep_cols)
            redacted_at = {(d, n, o) for d, n, o in redactions}
            new_rows = [redaction_reject(p, int(o)) for p, f in files.items() for o in f.get("redacted", ())
                        if parse.meta_for_file(p)["ingest_date"] in dates]
            # a removed row whose raw line is not a redaction line (its raw file is gone): the build's
            # without_complied reject, so raw = rows + duplicates + rejects still holds
            orphans = [r for r in removed if (r.ingest_date, r.source_file, r.kafka_offset) not in redacted_at]
            new_rej = base.unionByName(spark.createDataFrame(new_rows, REJECTED_SCHEMA))
            if orphans:
                new_rej = new_rej.unionByName(spark.createDataFrame(
                    [(parse.REDACTED, REMOVED_DETAIL, None, None, r.ingest_hour, r.source_file, r.kafka_partition,
                      r.kafka_offset, r.ingest_date) for r in orphans], REJECTED_SCHEMA))
            new_rej = new_rej.localCheckpoint(eager=True)
            left = {r[0] for r in new_rej.groupBy("ingest_date").count().collect()}
            new_rej.write.insertInto(rejected, overwrite=True)
            common.drop_partitions(spark, rejected, "ingest_date", set(dates) - left)

    # 4. tweets_loaded_files last: each file of those dates counted again from the tables as written
    with common.timed("bronze.comply loaded files"):
        result = recount_files(spark, db, dates, sizes) if dates else \
            {"raw_files": 0, "raw_records": 0, "bronze_rows": 0, "duplicates": 0, "rejects": 0, "rejects_by_reason": {},
             "reconciles": True}
    spark.catalog.refreshTable(tweets)
    return {
        "ingest_dates": dates,
        "created_dates": [str(d) for d in created],  # rewritten or emptied: what silver and gold redo
        "created_dates_written": len(written),
        "created_dates_dropped": len(set(created) - set(written)),
        "rows_removed": len(removed),
        "rows_scrubbed": len(found) - len(removed),
        "raw_files_read": len(files),
        "redaction_lines": len(redactions),
        **result,
        "seconds": round(time.monotonic() - t0, 1),
    }


def recount_files(spark, db: str, dates: list[str], sizes: dict[tuple[str, str], int]) -> dict:
    """tweets_loaded_files of `dates` again: each file's size now, and its rows, rejects and duplicates
    (records - rows - rejects) as the tables hold them. A removal never adds a duplicate: a file whose
    duplicates would grow, or go negative, stops the run before this table is written."""
    tweets, rejected, loaded = f"{db}.tweets", f"{db}.tweets_rejected", f"{db}.tweets_loaded_files"
    for t in (tweets, rejected):
        spark.catalog.refreshTable(t)
    mine = F.col("ingest_date").isin(dates)
    rows = {(r.ingest_date, r.source_file): (r.n, r.days) for r in spark.table(tweets).where(mine)
            .groupBy("ingest_date", "source_file")
            .agg(F.count(F.lit(1)).alias("n"), F.array_sort(F.collect_set(F.col("created_date").cast("string")))
                 .alias("days")).collect()}
    rejects = {(r.ingest_date, r.source_file): r[2] for r in spark.table(rejected).where(mine)
               .groupBy("ingest_date", "source_file").count().collect()}
    out, bad = [], []
    for r in spark.table(loaded).where(mine).collect():
        k = (r.ingest_date, r.source_file)
        n, days = rows.get(k, (0, []))
        rej = rejects.get(k, 0)
        dups = r.records - n - rej
        if not 0 <= dups <= r.duplicates:
            bad.append(f"{r.source_file}: {r.records} records, {n} rows, {rej} rejects, duplicates {r.duplicates} -> {dups}")
        out.append((r.source_file, sizes.get(k, r.file_bytes), r.records, n, dups, rej, ",".join(days), r.ingest_date))
    if bad:
        raise SystemExit("comply_bronze: the tables do not reconcile with raw after the removal; "
                         f"tweets_loaded_files not written: {'; '.join(bad[:3])}")
    spark.createDataFrame(out, LOADED_FILES_SCHEMA).write.insertInto(loaded, overwrite=True)
    by_reason = dict(sorted((r.reason, r[1]) for r in spark.table(rejected).where(mine).groupBy("reason")
                            .count().collect()))
    return {"raw_files": len(out), "raw_records": sum(x[2] for x in out), "bronze_rows": sum(x[3] for x in out),
            "duplicates": sum(x[4] for x in out), "rejects": sum(x[5] for x in out), "rejects_by_reason": by_reason,
            "reconciles": True}
