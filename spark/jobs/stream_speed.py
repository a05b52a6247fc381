"""Kafka tweets.raw -> speed.tweets (+ speed.tweets_rejected): the lake's speed layer.

    stream_speed.py [--topic tweets.raw] [--speed-db speed] [--checkpoint hdfs:///lake/checkpoints/speed/tweets]
                    [--trigger-seconds 10] [--max-offsets-per-trigger 200000] [--status-file PATH]
                    [--starting-offsets earliest]

Spark Structured Streaming, one micro-batch per trigger. Each Kafka record goes through the same
code as the batch layer: spark/transforms/parse.py to_bronze (parsing, PII classification and
masking) and spark/transforms/silver.py enrich (hashtags, geo, sentiment, flags); a record that
cannot become a row gets parse.py's reason code in speed.tweets_rejected, like bronze's rejects,
and the stream goes on. Each row also carries its own version's edit chain (edit_root_id, edit_count:
spark/transforms/edits.py of_version): every version of an edited tweet is streamed, and serving.tweets
keeps the newest of each chain (docs/serving.md).

Exactly once into tables Trino reads (docs/serving.md): foreachBatch writes the batch to a staging
folder under the checkpoint, then publishes it by renaming each file into its partition as
b<batch id>-<n>.parquet. A replayed batch id (crash after the write, before Spark committed the
batch) first deletes whatever an earlier attempt published under its prefix, so it never lands twice;
Spark's own file sink would keep its commit log in _spark_metadata, which Trino does not read.

Compliance (docs/compliance.md): every micro-batch first asks whether the ledger <ops>.compliance_events
changed (one listing of its files, spark/jobs/ledger.py Removed) and reloads it only then; rows of a
tweet or author an acting event names are dropped before they are written, rejects lose such a tweet
id, and scrub_geo events empty the location of the rows they cover: a deleted tweet re-ingested while
the stream runs never reaches speed.tweets, hence never serving.tweets.

Removals within one trigger (docs/compliance.md "Within one trigger"): a second query of the same driver
reads tweets.compliance (--compliance-topic; its own offsets under <checkpoint>/compliance) and appends
each micro-batch's acting events to <speed db>.compliance_pending (spark/jobs/compliance_pending.py),
published like the tweets' files. serving.tweets leaves out every batch and speed row whose tweet id or
author key is pending there, and the tweets query drops them before writing, until `make comply` applies
the event physically.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from lake.runtime import spark as lake_spark  # noqa: E402
from lake import settings  # noqa: E402
from lake.runtime import clients  # noqa: E402
from lake.settings import (KAFKA_SPEED, SPEED_GROUP_PREFIX, SPEED_PENDING_TABLE, SPEED_TRIGGER_SECONDS,  # noqa: E402
                           TOPIC_COMPLIANCE, TOPIC_RAW)
from spark.jobs import compliance_pending  # noqa: E402
from spark.jobs.common import code_zip  # noqa: E402
from spark.jobs.ledger import Removed, scrubbed  # noqa: E402
from spark.transforms import edits, parse, silver  # noqa: E402
from spark.transforms import pii as pii_mod  # noqa: E402
from spark.transforms.schema import REJECTED_SCHEMA, SPEED_SCHEMA_OF_STREAM  # noqa: E402

SPEED_SCHEMA = SPEED_SCHEMA_OF_STREAM
BATCH_PREFIX = "b"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", default=os.environ.get("LAKE_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    ap.add_argument("--topic", default=TOPIC_RAW)
    ap.add_argument("--speed-db", default="speed")
    ap.add_argument("--checkpoint", required=True, help="HDFS folder of the query's checkpoint (and staging)")
    ap.add_argument("--trigger-seconds", type=float,
                    default=float(os.environ.get("LAKE_SPEED_TRIGGER_SECONDS", SPEED_TRIGGER_SECONDS)))
    ap.add_argument("--max-offsets-per-trigger", type=int, default=200_000,
                    help="bounds a catch-up batch after downtime")
    ap.add_argument("--starting-offsets", default="earliest",
                    help="where a new checkpoint starts; a checkpoint always resumes where it stopped")
    ap.add_argument("--ledger", help="the compliance ledger whose removed tweets and authors are dropped "
                                     "(default: <prefix>ops.compliance_events beside <prefix>speed; '' for none)")
    ap.add_argument("--compliance-topic",
                    help="the compliance events whose removals go to <speed db>.compliance_pending within a trigger "
                         "(default: tweets.compliance beside a topic named tweets.raw, with its prefix; '' for none)")
    ap.add_argument("--status-file", help="JSON the driver rewrites every few seconds (readiness probe, benchmark)")
    ap.add_argument("--progress-file", help="append each micro-batch's progress (Spark's durations) as JSON lines "
                                           "(the speed benchmark reads it)")
    ap.add_argument("--restarts", type=int, default=1000,
                    help="how often the query is restarted from its checkpoint after a failure (Kafka or "
                         "metastore down) before the job gives up")
    args = ap.parse_args(argv)
    if args.ledger is None:
        args.ledger = default_ledger(args.speed_db)
    if args.compliance_topic is None:
        args.compliance_topic = default_compliance_topic(args.topic)
    return args


def default_compliance_topic(topic: str) -> str:
    """tweets.raw -> tweets.compliance, a sandbox's it.<tag>.tweets.raw -> it.<tag>.tweets.compliance;
    another topic has none."""
    return topic[:-len(TOPIC_RAW)] + TOPIC_COMPLIANCE if topic.endswith(TOPIC_RAW) else ""


def default_ledger(speed_db: str) -> str:
    """The ledger of the schemas the speed table belongs to: speed -> ops.compliance_events, a sandbox's
    it_<tag>_speed -> it_<tag>_ops.compliance_events (schemas share their prefix, lake/pipeline/layers.py)."""
    prefix = speed_db[:-len("speed")] if speed_db.endswith("speed") else ""
    return f"{prefix}ops.compliance_events"


# ---- per record (executors): the shared batch code ---------------------------------------------
def ingest_meta(topic: str, partition: int, offset: int, ts_ms: int) -> dict:
    """The lineage columns bronze gets from the raw sink's path, from the Kafka record itself.
    ingest_date/hour follow the sink's rule (ingestion/sink.py ingest_slot): UTC of the record timestamp."""
    t = time.gmtime(ts_ms / 1000)
    return {"ingest_date": time.strftime("%Y-%m-%d", t), "ingest_hour": time.strftime("%H", t),
            "source_file": f"kafka:{topic}", "kafka_partition": partition, "kafka_offset": offset}


def convert_partition(pii: pii_mod.Pii):
    """Kafka records (topic, partition, offset, value, ts_ms), as tuples or Rows, to
    (speed row, None) or (None, rejected row) tuples in SPEED_SCHEMA/REJECTED_SCHEMA order."""
    t_cols, r_cols = SPEED_SCHEMA.fieldNames(), REJECTED_SCHEMA.fieldNames()

    def run(records):
        for topic, partition, offset, value, ts_ms in records:
            meta = ingest_meta(topic, partition, offset, ts_ms)
            value = bytes(value) if value is not None else b""
            row, rej = parse.to_bronze(value, meta, pii)
            if rej is None:
                out = silver.enrich(row)
                out["edit_root_id"], out["edit_count"] = edits.of_version(row["tweet_id"], row.get("edit_root_id"),
                                                                          row.get("edit_versions"))
                yield (tuple(out[c] for c in t_cols), None)
            else:
                rr = parse.reject_row(rej, value, meta)
                yield (None, tuple(rr[c] for c in r_cols))

    return run


REJ_PARTITION = REJECTED_SCHEMA.fieldNames().index("kafka_partition")
REJ_OFFSET = REJECTED_SCHEMA.fieldNames().index("kafka_offset")
RECORD_COLUMNS = ("topic", "partition", "offset", "value", "ts_ms")


def rows_only(pii: pii_mod.Pii, rejects_acc, rows_acc):
    """convert_partition's rows; its rejects go to an accumulator (a list of REJECTED_SCHEMA tuples)."""
    convert = convert_partition(pii)

    def run(records):
        bad, n = [], 0
        for row, rej in convert(records):
            if rej is None:
                n += 1
                yield row
            else:
                bad.append(rej)
        rows_acc.add(n)
        if bad:
            rejects_acc.add(bad)

    return run


def convert_batch(pii: pii_mod.Pii):
    """Kafka records (topic, partition, offset, value, ts_ms) of one Arrow batch -> (SPEED_SCHEMA
    table, rejected tuples): parse.to_bronze per record, then the batch layer's own columnar
    silver (spark/transforms/columnar.py), so both layers run one implementation."""
    import pyarrow as pa

    from spark.transforms import columnar

    speed_schema = columnar.arrow_schema("SPEED_SCHEMA_OF_STREAM")
    r_cols = REJECTED_SCHEMA.fieldNames()

    def run(records: list[tuple]) -> tuple[pa.Table, list[tuple]]:
        lines, metas = [], []
        for topic, partition, offset, value, ts_ms in records:
            metas.append(ingest_meta(topic, partition, offset, ts_ms))
            lines.append(bytes(value) if value is not None else b"")
        bronze, rejected = columnar.bronze_batch(lines, metas, pii)
        rows = columnar.with_edit_columns(columnar.silver_batch(bronze), bronze).select(speed_schema.names)
        rejects = [tuple(r[c] for c in r_cols) for r in rejected.to_pylist()]
        return rows.cast(speed_schema), rejects

    return run


def arrow_rows(pii: pii_mod.Pii, rejects_acc, rows_acc):
    """DataFrame.mapInArrow: Arrow batches of Kafka records in, Arrow batches of SPEED_SCHEMA rows
    out (convert_batch); rejects go to an accumulator. Columns cross as Arrow buffers: the RDD path
    pickled every record to a Row and back, and createDataFrame then checked each row's 47 fields
    in Python (4,600-5,800 rows/s on two cores, docs/serving.md)."""
    convert = convert_batch(pii)  # looked up now: bench-speed's floor patches it (floor_stream.py)

    def run(batches):
        from spark.transforms import columnar

        for batch in batches:
            cols = [batch.column(c).to_pylist() for c in RECORD_COLUMNS]
            rows, bad = convert(list(zip(*cols)))
            rows_acc.add(rows.num_rows)
            if bad:
                rejects_acc.add(bad)
            yield from columnar.batches(rows)

    return run


def without_removed(df, removed: Removed, pending: compliance_pending.Pending | None = None):
    """Speed rows without those of a tweet or author the ledger removed or the stream read a removal of
    (pending), and without the location of those a scrub_geo event covers (the columns comply.rewrite_speed
    empties). Spark expressions, so the executors need nothing beyond the shipped transforms."""
    ids, keys = removed.ids, removed.keys
    if pending is not None:
        ids, keys = ids | pending.ids, keys | pending.keys
    gone = None
    if ids:
        gone = F.col("tweet_id").isin(sorted(ids))
    if keys:
        by_author = F.col("author_key").isin(sorted(keys))
        gone = by_author if gone is None else gone | by_author
    if gone is not None:
        df = df.where(~F.coalesce(gone, F.lit(False)))
    if removed.scrub:
        from lake.pipeline.comply import SPEED_GEO_COLUMNS, SPEED_PLACE_COUNTRY_COLUMNS

        hit = scrubbed(F.col("author_key"), F.col("tweet_id"), removed.scrub)
        from_place = hit & F.coalesce(F.col("country_source") == "place", F.lit(False))
        df = df.select(*[F.when(hit, F.lit(None)).otherwise(F.col(c)).alias(c) if c in SPEED_GEO_COLUMNS
                         else F.when(from_place, F.lit(None)).otherwise(F.col(c)).alias(c)
                         if c in SPEED_PLACE_COUNTRY_COLUMNS else F.col(c) for c in df.columns])
    return df


REJ_TWEET_ID = REJECTED_SCHEMA.fieldNames().index("tweet_id")


def rejects_without_removed(rejects: list[tuple], ids) -> list[tuple]:
    """Rejects with the tweet id taken off where the ledger removed that tweet (as bronze's
    without_complied does): the reject is still counted, it no longer names the tweet."""
    named = {str(i) for i in ids}
    return [r[:REJ_TWEET_ID] + (None,) + r[REJ_TWEET_ID + 1:] if r[REJ_TWEET_ID] in named else r for r in rejects]


class _ListParam:
    """AccumulatorParam of lists (pyspark.accumulators.AccumulatorParam's protocol)."""

    def zero(self, value):
        return []

    def addInPlace(self, a, b):
        a.extend(b)
        return a


# ---- publishing (driver): staging -> table partitions, by rename ----------------------------------
class Publisher:
    """Moves a batch's staged Parquet files into the table's partition folders, idempotently."""

    def __init__(self, spark: SparkSession, staging_root: str, partition: str = "ingest_date"):
        self.spark, self.partition = spark, partition
        jvm = spark.sparkContext._jvm
        self.Path = jvm.org.apache.hadoop.fs.Path
        self.fs = self.Path(staging_root).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        self.staging_root = staging_root
        self.locations: dict[str, str] = {}
        self.known_partitions: set[tuple] = set()

    def location(self, table: str) -> str:
        if table not in self.locations:
            self.locations[table] = with_metastore_retry(lambda: table_location(self.spark, table), table)
        return self.locations[table]

    def unpublish(self, table: str, batch_id: int) -> int:
        """Delete files an earlier attempt of this batch published (a replay after a crash)."""
        pattern = self.Path(f"{self.location(table)}/{self.partition}=*/{batch_name(batch_id)}-*")
        found = self.fs.globStatus(pattern) or []
        for st in found:
            self.fs.delete(st.getPath(), False)
        return len(found)

    def publish(self, table: str, staged: str, batch_id: int) -> dict[str, int]:
        """Rename staged/ingest_date=D/part-*.parquet to <table>/ingest_date=D/b<id>-<n>.parquet."""
        files = sorted((st.getPath() for st in (self.fs.globStatus(self.Path(f"{staged}/{self.partition}=*/*.parquet"))
                                                or [])), key=lambda p: p.toString())
        per_day: dict[str, int] = {}
        for n, src in enumerate(files):
            day = src.getParent().getName().split("=", 1)[1]
            self.ensure_partition(table, day, batch_id)
            dst_dir = self.Path(f"{self.location(table)}/{self.partition}={day}")
            self.fs.mkdirs(dst_dir)
            dst = self.Path(dst_dir, f"{batch_name(batch_id)}-{n:05d}.parquet")
            if not self.fs.rename(src, dst):
                raise RuntimeError(f"stream_speed: could not rename {src} to {dst}")
            per_day[day] = per_day.get(day, 0) + 1
        return per_day

    def ensure_partition(self, table: str, day: str, batch_id: int) -> None:
        """Once per batch and day, not cached for the job's life: the retention step may have
        dropped the partition since (docs/serving.md), and a file in an unregistered folder is
        invisible to Trino."""
        self.known_partitions = {k for k in self.known_partitions if k[2] == batch_id}
        key = (table, day, batch_id)
        if key in self.known_partitions:
            return
        with_metastore_retry(lambda: self.spark.sql(
            f"ALTER TABLE {table} ADD IF NOT EXISTS PARTITION ({self.partition}='{day}')"), table)
        self.known_partitions.add(key)


def batch_name(batch_id: int) -> str:
    return f"{BATCH_PREFIX}{batch_id:012d}"


def table_location(spark: SparkSession, table: str) -> str:
    for row in spark.sql(f"DESCRIBE FORMATTED {table}").collect():
        if (row.col_name or "").strip() == "Location":
            return row.data_type.strip().rstrip("/")
    raise SystemExit(f"stream_speed: {table} has no location")


def with_metastore_retry(fn, what: str, timeout: float = 900.0):
    """Metastore calls wait for a metastore that is down (kill -9, restart) instead of failing the batch."""
    deadline, delay = time.monotonic() + timeout, 2.0
    while True:
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - py4j/AnalysisException wrap the Thrift error
            if time.monotonic() >= deadline:
                raise RuntimeError(f"stream_speed: metastore call for {what} failed for {timeout:.0f}s "
                                   f"(is the metastore up? `make status`): {str(e).splitlines()[0]}") from e
            print(f"stream_speed: metastore call for {what} failed, retrying in {delay:.0f}s: "
                  f"{str(e).splitlines()[0][:200]}", flush=True)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)


class SpeedBatch:
    """foreachBatch body: convert, stage, publish, keyed by batch id."""

    def __init__(self, spark: SparkSession, args: argparse.Namespace, pii: pii_mod.Pii, stats: dict,
                 pending: compliance_pending.Pending | None = None):
        self.spark, self.args, self.pii, self.stats = spark, args, pii, stats
        self.staging = f"{args.checkpoint.rstrip('/')}/_staging"
        self.publisher = Publisher(spark, self.staging)
        self.tweets, self.rejected = f"{args.speed_db}.tweets", f"{args.speed_db}.tweets_rejected"
        self.removed = Removed(spark, args.ledger or None)
        self.pending = pending or compliance_pending.Pending()

    def __call__(self, df, batch_id: int) -> None:
        """One Spark job per batch: Kafka records -> Python (parse + enrich, Arrow in and out) -> Parquet in staging.
        Rejects are few: they travel back to the driver in an accumulator and are written only when
        there are any (deduplicated by Kafka offset: a retried task adds its rejects again)."""
        t0 = time.monotonic()
        # rarely true: the ledger changed since the last batch; a metastore or NameNode that is down is waited for
        if with_metastore_retry(self.removed.refresh, f"the ledger {self.removed.ledger}"):
            self.stats.update(ledger_reloads=self.removed.reloads, ledger_tweets=len(self.removed.ids),
                              ledger_authors=len(self.removed.keys), ledger_scrubs=len(self.removed.scrub),
                              last_ledger_reload_seconds=round(time.monotonic() - t0, 3))
            print(f"stream_speed: ledger {self.removed.ledger} reloaded: {len(self.removed.ids)} tweet(s), "
                  f"{len(self.removed.keys)} author(s) removed, {len(self.removed.scrub)} location scrub(s) "
                  f"({time.monotonic() - t0:.2f}s)", flush=True)
        else:  # the listing alone: what a batch pays while the ledger does not change
            self.stats["last_ledger_check_seconds"] = round(time.monotonic() - t0, 3)
        sc = self.spark.sparkContext
        rejects_acc = sc.accumulator([], _ListParam())
        rows_acc = sc.accumulator(0)  # status only: a retried task counts twice
        records = df.select("topic", "partition", "offset", "value",
                            (F.unix_millis(F.col("timestamp"))).alias("ts_ms"))
        # One task per core, not one per Kafka partition: each Python task costs a fixed ~0.2-0.3 s here
        # (worker hand-off, Parquet file open and close), which dominated small batches (2026-11-23).
        # (coalesce never raises the count.)
        tweets = records.coalesce(sc.defaultParallelism).mapInArrow(
            arrow_rows(self.pii, rejects_acc, rows_acc), SPEED_SCHEMA)
        tweets = without_removed(tweets, self.removed, self.pending)
        replaced = self.publisher.unpublish(self.tweets, batch_id) + self.publisher.unpublish(self.rejected, batch_id)
        base = f"{self.staging}/{batch_name(batch_id)}"
        tweets.write.mode("overwrite").option("compression", "zstd").partitionBy("ingest_date").parquet(f"{base}/tweets")
        t_convert = time.monotonic()
        rejects = sorted({(r[REJ_PARTITION], r[REJ_OFFSET]): r for r in rejects_acc.value}.values(),
                         key=lambda r: (r[REJ_PARTITION], r[REJ_OFFSET]))
        rejects = rejects_without_removed(rejects, self.removed.ids | self.pending.ids)
        if rejects:
            self.spark.createDataFrame(rejects, REJECTED_SCHEMA).coalesce(1).write.mode("overwrite") \
                .option("compression", "zstd").partitionBy("ingest_date").parquet(f"{base}/tweets_rejected")
        published = self.publisher.publish(self.tweets, f"{base}/tweets", batch_id)
        if rejects:
            self.publisher.publish(self.rejected, f"{base}/tweets_rejected", batch_id)
        self.publisher.fs.delete(self.publisher.Path(base), True)
        t_end = time.monotonic()
        self.stats.update(last_batch_id=batch_id, last_batch_rejects=len(rejects),
                          last_batch_seconds=round(t_end - t0, 3), last_batch_at=time.time(),
                          replayed_files_replaced=self.stats.get("replayed_files_replaced", 0) + replaced)
        self.stats["rejects"] = self.stats.get("rejects", 0) + len(rejects)
        self.stats["rows"] = self.stats.get("rows", 0) + rows_acc.value
        self.stats["last_batch_rows"] = rows_acc.value
        print(f"stream_speed: batch {batch_id}: {rows_acc.value} rows in {sum(published.values())} file(s), "
              f"{len(rejects)} rejects, "
              f"{t_end - t0:.2f}s (convert+write {t_convert - t0:.2f}s, publish {t_end - t_convert:.2f}s)"
              + (f", replaced {replaced} files of an earlier attempt" if replaced else ""), flush=True)


class PendingBatch:
    """foreachBatch body of the compliance query: the micro-batch's tweets.compliance records -> rows of
    <speed db>.compliance_pending, staged and published by rename like the tweets' files (a replayed batch
    id first removes what an earlier attempt published). The tweets query's filter learns them at once.
    Events are few (a firehose's deletes are 1-3% of its tweets): they are parsed on the driver."""

    def __init__(self, spark: SparkSession, args: argparse.Namespace, pii: pii_mod.Pii, stats: dict,
                 pending: compliance_pending.Pending):
        self.spark, self.pii, self.stats, self.pending = spark, pii, stats, pending
        self.staging = f"{args.checkpoint.rstrip('/')}/_staging_compliance"
        self.publisher = Publisher(spark, self.staging, partition=compliance_pending.PARTITION)
        self.table = f"{args.speed_db}.{SPEED_PENDING_TABLE}"

    def __call__(self, df, batch_id: int) -> None:
        t0 = time.monotonic()
        received = datetime.now(timezone.utc)
        records = df.select("topic", "partition", "offset", "value").collect()
        rows = [r for r in (compliance_pending.pending_row(compliance_pending.event_id(t, p, o), v, self.pii,
                                                           received) for t, p, o, v in records) if r is not None]
        replaced = self.publisher.unpublish(self.table, batch_id)
        if rows:
            base = f"{self.staging}/{batch_name(batch_id)}"
            self.spark.createDataFrame(rows, compliance_pending.PENDING_SCHEMA).coalesce(1).write.mode("overwrite") \
                .option("compression", "zstd").partitionBy(compliance_pending.PARTITION).parquet(base)
            self.publisher.publish(self.table, base, batch_id)
            self.publisher.fs.delete(self.publisher.Path(base), True)
        self.pending.add(rows)
        seconds = time.monotonic() - t0
        self.stats.update(compliance_events=self.stats.get("compliance_events", 0) + len(records),
                          pending_events=self.pending.events, pending_tweets=len(self.pending.ids),
                          pending_authors=len(self.pending.keys), last_compliance_batch_id=batch_id,
                          last_compliance_batch_seconds=round(seconds, 3), last_compliance_batch_at=time.time())
        print(f"stream_speed: compliance batch {batch_id}: {len(records)} event(s), {len(rows)} removal(s) pending "
              f"in {self.table}, {seconds:.2f}s" + (f", replaced {replaced} file(s) of an earlier attempt"
                                                     if replaced else ""), flush=True)


def write_status(path: str | None, state: str, stats: dict, query=None) -> None:
    if not path:
        return
    status = {"state": state, "updated_at": time.time(), **stats}
    if query is not None:
        try:
            progress = query.lastProgress
            status["active"] = query.isActive
            if progress:
                status["progress"] = {k: progress.get(k) for k in
                                      ("batchId", "numInputRows", "inputRowsPerSecond", "processedRowsPerSecond",
                                       "durationMs", "timestamp")}
        except Exception:  # noqa: BLE001 - the JVM may be going away
            pass
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(status, fh)
    os.replace(tmp, path)


def progress_listener(path: str):
    """A StreamingQueryListener appending Spark's own per-batch progress (durationMs.triggerExecution is
    the micro-batch's wall time: offsets, planning, foreachBatch, commit)."""
    from pyspark.sql.streaming import StreamingQueryListener

    class Progress(StreamingQueryListener):
        def onQueryStarted(self, event):
            pass

        def onQueryProgress(self, event):
            p = event.progress
            if p.numInputRows == 0:
                return
            rec = {"batch_id": p.batchId, "rows": p.numInputRows, "timestamp": p.timestamp,
                   "duration_ms": dict(p.durationMs), "written_at": time.time()}
            with open(path, "a") as fh:
                fh.write(json.dumps(rec) + "\n")

        def onQueryIdle(self, event):
            pass

        def onQueryTerminated(self, event):
            pass

    return Progress()


STREAM_CONF = {
    # Small batches: a handful of shuffle partitions, no adaptive re-planning per trigger.
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.streaming.stopGracefullyOnShutdown": "true",
    # No _SUCCESS marker in the staging folder: the batch is published file by file (rename),
    # and each marker was one more HDFS file to create and close per trigger.
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.ui.showConsoleProgress": "false",
}


def session(app: str) -> SparkSession:
    """The lake's one session factory (lake/runtime/spark.py) with the stream's own options."""
    return lake_spark.session(app, STREAM_CONF)


def kafka_reader(spark: SparkSession, args: argparse.Namespace, topic: str):
    """A Kafka source on one topic, logged in as the speed principal."""
    return (spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", args.bootstrap)
            # SASL/SCRAM as the speed principal (the admin on a sandbox's topic); the ACLs allow its
            # reads under the group prefix only (docs/security.md "Kafka")
            .options(**clients.spark_kafka_options(settings.get(), clients.kafka_principal(KAFKA_SPEED, topic)))
            .option("groupIdPrefix", SPEED_GROUP_PREFIX)
            .option("subscribe", topic)
            .option("startingOffsets", args.starting_offsets)
            .option("maxOffsetsPerTrigger", str(args.max_offsets_per_trigger))
            # a broker that is down must not hang a batch forever: fail it, and restart below
            .option("kafka.request.timeout.ms", "20000")
            .option("kafka.default.api.timeout.ms", "30000")
            # A micro-batch reads offset ranges that already exist, yet each partition's read waited
            # out the broker's fetch.max.wait.ms (default 500 ms) at least once: 20 records from 4
            # partitions took 1.4 s to count with the default, 0.6 s with 10 ms (2026-11-23).
            .option("kafka.fetch.max.wait.ms", "10")
            .load())


def _start(spark: SparkSession, args: argparse.Namespace, topic: str, body, checkpoint: str, name: str):
    """One query on `topic` at the speed layer's trigger, with its own checkpoint folder."""
    return (kafka_reader(spark, args, topic).writeStream.foreachBatch(body)
            .option("checkpointLocation", f"{args.checkpoint.rstrip('/')}/{checkpoint}")
            .trigger(processingTime=f"{args.trigger_seconds} seconds")
            .queryName(name)
            .start())


def run_query(spark: SparkSession, args: argparse.Namespace, body: SpeedBatch):
    return _start(spark, args, args.topic, body, "query", f"speed-{args.speed_db}")


def run_pending_query(spark: SparkSession, args: argparse.Namespace, body: PendingBatch):
    """The compliance query: same trigger, its own checkpoint (so the tweets query's is unchanged)."""
    return _start(spark, args, args.compliance_topic, body, "compliance", f"speed-compliance-{args.speed_db}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pii = pii_mod.from_env()  # the key is read on the driver and shipped with the closures
    spark = session(f"lake-speed-{args.speed_db}")
    stats: dict = {"topic": args.topic, "speed_db": args.speed_db, "trigger_seconds": args.trigger_seconds,
                   "compliance_topic": args.compliance_topic, "restarts": 0, "started_at": time.time()}
    stop = threading.Event()
    query = None

    def heartbeat():
        while not stop.wait(2.0):
            write_status(args.status_file, "running" if query is not None and query.isActive else "starting",
                         stats, query)

    threading.Thread(target=heartbeat, daemon=True, name="speed-status").start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spark.sparkContext.addPyFile(str(code_zip(Path(tmp))))
            tables = [f"{args.speed_db}.tweets", f"{args.speed_db}.tweets_rejected"]
            if args.compliance_topic:
                tables.append(f"{args.speed_db}.{SPEED_PENDING_TABLE}")
            for t in tables:
                if not with_metastore_retry(lambda: spark.catalog.tableExists(t), t):
                    raise SystemExit(f"stream_speed: table {t} does not exist; apply the DDL first "
                                     f"(lake.ddl.apply_layer(settings, 'speed'))")
            pending = compliance_pending.Pending()
            if args.compliance_topic:  # removals read before a restart stay filtered
                with_metastore_retry(lambda: pending.load(spark, tables[-1]), tables[-1])
                stats.update(pending_events=pending.events, pending_tweets=len(pending.ids),
                             pending_authors=len(pending.keys))
            body = SpeedBatch(spark, args, pii, stats, pending)
            pending_body = PendingBatch(spark, args, pii, stats, pending) if args.compliance_topic else None
            if args.progress_file:
                spark.streams.addListener(progress_listener(args.progress_file))
            while True:
                queries = [run_query(spark, args, body)]
                if pending_body is not None:
                    queries.append(run_pending_query(spark, args, pending_body))
                query = queries[0]
                try:
                    spark.streams.awaitAnyTermination()
                    return 0  # stopped on purpose (SIGTERM: stopGracefullyOnShutdown stops both)
                except Exception as e:  # noqa: BLE001 - StreamingQueryException: Kafka/metastore/HDFS down
                    for q in queries:  # both restart together from their checkpoints
                        try:
                            q.stop()
                        except Exception:  # noqa: BLE001 - the failed one is already stopped
                            pass
                    spark.streams.resetTerminated()
                    stats["restarts"] += 1
                    stats["last_error"] = str(e).splitlines()[0][:300]
                    write_status(args.status_file, "restarting", stats)
                    if stats["restarts"] > args.restarts:
                        raise
                    delay = min(5.0 * stats["restarts"], 30.0)
                    print(f"stream_speed: query failed ({stats['last_error']}); restarting from the checkpoint "
                          f"in {delay:.0f}s (restart {stats['restarts']}/{args.restarts})", flush=True)
                    time.sleep(delay)  # back-off between restarts, not a readiness wait
    finally:
        stop.set()
        write_status(args.status_file, "stopped", stats)
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
