"""Would the speed layer's transforms fit the throughput goal if Spark's engine ran them instead of Python?

    .venv/bin/python -m benchmarks.speed.sql_subset_probe [--records 100000] [--rounds 4]

A one-off probe for issue #6, kept so that its figures (docs/serving.md, "the floor") can be reproduced;
not a service and not part of `make bench-speed`. In local[2], the same synthetic v2 tweets, cached in
memory as Kafka-like rows, are written as Parquet (zstd) three ways:

- noop:   the stream's own Arrow hand-off, each row a copy of one converted row (the floor's idea);
- sql:    a *subset* of the transforms written as Spark column expressions, which run on the JVM:
          from_json with a schema inferred from the payloads, ids and timestamps, the text with
          e-mails and phone numbers masked by regexp_replace, SHA-256 pseudonyms of the author and
          the mentions, metrics, hashtags, URLs, referenced tweets, place, and a toy lexicon match;
- python: the stream's real per-record transforms (stream_speed.arrow_rows: parse, pii, silver).

The CPU a transform costs per row is 2 cores x (1/its rows/s - 1/noop's rows/s): a lower bound for
the Spark-engine route, because the subset leaves out the geo matching and most of the enrichment.
The first round of each mode pays the JVM's JIT and the Python workers' start-up; read the later ones.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\+?\d[\d ().-]{7,}\d"
POSITIVE = ["good", "great", "love", "bom", "excelente", "bueno", "gracias", "obrigado"]


def sql_subset(df, schema, key: str):
    """The subset of the transforms as column expressions (flat v2 tweets: twarc's one-per-line form)."""
    from pyspark.sql import functions as F

    j = df.select("*", F.from_json(F.col("value").cast("string"), schema).alias("j"))
    author, ents, refs = F.col("j.author"), F.col("j.entities"), F.col("j.referenced_tweets")
    words = F.split(F.lower(F.col("j.text")), r"\W+")

    def ref(kind):
        return F.filter(refs, lambda r: r["type"] == kind)[0]["id"]

    return j.select(
        F.col("j.id").cast("long").alias("tweet_id"),
        F.to_timestamp(F.col("j.created_at")).alias("created_at"),
        F.regexp_replace(F.regexp_replace(F.col("j.text"), EMAIL, "<email>"), PHONE, "<phone>").alias("text"),
        F.col("j.lang").alias("lang"),
        F.sha2(F.concat(F.col("j.author_id"), F.lit(key)), 256).alias("author_key"),
        F.sha2(F.concat(author["username"], F.lit(key)), 256).alias("author_name_key"),
        author["public_metrics"]["followers_count"].alias("followers"),
        author["location"].alias("user_location"),
        *[F.col(f"j.public_metrics.{m}").alias(m) for m in ("retweet_count", "like_count", "reply_count",
                                                            "quote_count")],
        F.transform(ents["hashtags"], lambda h: F.lower(h["tag"])).alias("hashtags"),
        F.transform(ents["mentions"], lambda m: F.sha2(F.concat(m["username"], F.lit(key)), 256)).alias("mentions"),
        F.transform(ents["urls"], lambda u: u["expanded_url"]).alias("urls"),
        ref("retweeted").alias("retweet_of"), ref("quoted").alias("quote_of"), ref("replied_to").alias("reply_to"),
        F.col("j.geo.place_id").alias("place_id"),
        F.size(F.array_intersect(words, F.array(*[F.lit(w) for w in POSITIVE]))).alias("positive_hits"),
        F.size(words).alias("words"),
        "partition", "offset",
        F.to_date(F.timestamp_millis(F.col("ts_ms"))).alias("ingest_date"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.speed.sql_subset_probe", description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args(argv)
    # Python workers: this interpreter and this checkout (the transforms import the repo's packages).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}".rstrip(os.pathsep)
    from pyspark.sql import SparkSession

    from ingestion.sources import synthetic
    from spark.jobs import stream_speed as ss
    from spark.transforms import pii as pii_mod

    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "2g")
             .config("spark.sql.ansi.enabled", "false")   # [0] of an empty array is NULL, as in the transforms
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    values = [r.payload for r in synthetic.generate(args.records, seed=1)]
    rows = [("tweets.raw", i % 4, i, v, 1_763_900_000_000 + i) for i, v in enumerate(values)]
    src = (spark.createDataFrame(rows, "topic string, partition int, offset long, value binary, ts_ms long")
           .repartition(4).cache())
    src.count()
    schema = spark.read.json(spark.sparkContext.parallelize([v.decode() for v in values[:3000]])).schema
    key = "k" * 32
    pii = pii_mod.Pii(key)
    sc = spark.sparkContext

    def frame(mode: str):
        rejects, count = sc.accumulator([], ss._ListParam()), sc.accumulator(0)
        convert = ss.arrow_rows(pii, rejects, count)
        if mode == "python":
            return src.coalesce(2).mapInArrow(convert, ss.SPEED_SCHEMA)
        if mode == "sql":
            return sql_subset(src.coalesce(2), schema, key)

        def copies(batches):
            import pyarrow as pa
            one = None
            for b in batches:
                one = one if one is not None else next(convert(iter([b.slice(0, 1)])))
                yield pa.Table.from_batches([one] * b.num_rows).combine_chunks().to_batches()[0]
        return src.coalesce(2).mapInArrow(copies, ss.SPEED_SCHEMA)

    out = Path(tempfile.mkdtemp(prefix="sql-subset-probe-"))
    rates: dict[str, list[float]] = {}
    try:
        for k in range(args.rounds):
            for mode in ("noop", "sql", "python"):
                t0 = time.perf_counter()
                frame(mode).write.mode("overwrite").option("compression", "zstd").partitionBy("ingest_date") \
                    .parquet(str(out / mode))
                rate = args.records / (time.perf_counter() - t0)
                rates.setdefault(mode, []).append(rate)
                print(f"round {k + 1}: {mode:6s} {rate:10,.0f} rows/s", flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        spark.stop()
    best = {m: max(r[1:] or r) for m, r in rates.items()}   # round 1 pays JIT and worker start-up
    for mode in ("sql", "python"):
        extra = 2 * (1 / best[mode] - 1 / best["noop"]) * 1e6
        print(f"{mode}: about {extra:.0f} µs of CPU a row over the noop copy (best of rounds 2-{args.rounds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
