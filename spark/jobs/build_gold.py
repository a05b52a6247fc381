"""silver -> gold star schema and marts for given created dates.

    build_gold.py --dates 2024-01-01,2024-01-02 [--silver-db silver] [--gold-db gold]

Dimensions have deterministic keys (xxhash64 of their natural key), so a rerun
gives the same rows. dim_dates, dim_places and dim_hashtags are rebuilt whole
from all of silver each run; dim_authors (SCD type 2) re-versions only the
authors with a tweet in the given dates (before or after this build) from all
their tweets, and keeps every other author's rows as they are. The fact,
the bridge and the marts are overwritten for the given created_date
partitions only -- plus any other fact partition whose author versions moved
(a late tweet can start a version earlier), so every fact row keeps finding
its dimension rows. Prints `GOLD_RESULT {json}`.
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

from pyspark.sql import DataFrame, SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from spark.jobs import common  # noqa: E402

OPEN_END = "9999-12-31 00:00:00"  # valid_to of current versions: keeps BETWEEN-style joins null-free
TRACKED = ["author_tier", "author_verified", "author_location"]  # SCD2 attributes
TOP_WORDS = 100
DIMS = ("dim_dates", "dim_authors", "dim_places", "dim_hashtags")
PER_DATE = ("fact_tweets", "bridge_tweet_hashtags", "mart_hashtag_daily", "mart_sentiment_daily_country",
            "mart_top_words", "mart_engagement_by_tier")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dates", type=common.day_list, required=True, help="comma-separated created dates")
    ap.add_argument("--silver-db", default="silver")
    ap.add_argument("--gold-db", default="gold")
    return ap.parse_args(argv)


# ---- dimensions (whole) ------------------------------------------------------------------------
def place_counts(silver: DataFrame) -> DataFrame:
    """(country, region, tweets, first, last): the one pass over all of silver that dim_places and
    dim_dates share (each read every silver partition on its own: a Spark job of 3-7 s apiece)."""
    return silver.groupBy("country", "region").agg(F.count(F.lit(1)).alias("tweets"),
                                                   F.min("created_date").alias("first"),
                                                   F.max("created_date").alias("last"))


def dim_dates(places: DataFrame) -> DataFrame:
    """Every day from silver's first created date to its last. `places`: place_counts(silver)."""
    bounds = places.agg(F.min("first").alias("lo"), F.max("last").alias("hi"))
    d = bounds.select(F.explode(F.sequence("lo", "hi")).alias("full_date")).where("full_date IS NOT NULL")
    dow = F.dayofweek("full_date")  # Spark: 1 = Sunday
    iso_dow = ((dow + 5) % 7) + 1
    return d.select(
        F.date_format("full_date", "yyyyMMdd").cast("int").alias("date_key"), "full_date",
        F.year("full_date").alias("year"), F.quarter("full_date").alias("quarter"), F.month("full_date").alias("month"),
        F.date_format("full_date", "MMMM").alias("month_name"), F.dayofmonth("full_date").alias("day_of_month"),
        iso_dow.alias("day_of_week"), F.date_format("full_date", "EEEE").alias("day_name"),
        F.weekofyear("full_date").alias("iso_week"), iso_dow.isin(6, 7).alias("is_weekend"))


def dim_authors(silver: DataFrame, locations: DataFrame) -> DataFrame:
    """SCD2: a version per run of consecutive tweets (by created_at, tweet_id) with equal tracked attributes.
    `locations`: (author_location, location_country) for every distinct author location."""
    obs = silver.select("author_key", "author_handle_key", "author_followers_count", "created_at", "tweet_id",
                        *TRACKED)
    order = Window.partitionBy("author_key").orderBy("created_at", "tweet_id")
    changed = F.lit(False)
    for c in TRACKED:  # null-safe: a location going from NULL to "Lisboa" is a change
        changed = changed | ~F.col(c).eqNullSafe(F.lag(c).over(order))
    first = F.row_number().over(order) == 1
    obs = obs.withColumn("_new", (first | changed).cast("int")) \
        .withColumn("version", F.sum("_new").over(order.rowsBetween(Window.unboundedPreceding, 0)))
    by_version = obs.groupBy("author_key", "version").agg(
        F.min("created_at").alias("valid_from"),
        F.min_by(F.struct("author_handle_key", "author_followers_count", *TRACKED),
                 F.struct("created_at", "tweet_id")).alias("v"))
    nxt = Window.partitionBy("author_key").orderBy("version")
    # A version that starts at the same instant as the next one (two tweets of one author in the same
    # second, attributes changed between them) would last no time and share the next one's key: the
    # later state at that instant wins, and versions are renumbered.
    by_version = by_version.withColumn("_next_from", F.lead("valid_from").over(nxt)) \
        .where(F.col("_next_from").isNull() | (F.col("_next_from") != F.col("valid_from"))) \
        .withColumn("version", F.row_number().over(nxt)).drop("_next_from")
    valid_to = F.coalesce(F.lead("valid_from").over(nxt), F.lit(OPEN_END).cast("timestamp"))
    versions = by_version.select("*", F.col("v.author_location").alias("author_location"))
    return versions.join(F.broadcast(locations), "author_location", "left").select(
        F.xxhash64("author_key", F.col("valid_from").cast("string")).alias("author_sk"), "author_key",
        F.col("v.author_handle_key").alias("author_handle_key"), F.col("version").cast("int").alias("version"),
        F.col("v.author_tier").alias("author_tier"), F.col("v.author_verified").alias("verified"),
        F.col("v.author_location").alias("location"), "location_country",
        F.col("v.author_followers_count").alias("followers_count"), "valid_from", valid_to.alias("valid_to"),
        (valid_to == F.lit(OPEN_END).cast("timestamp")).alias("is_current"))


def place_key(country, region):
    return F.when(country.isNull(), F.lit(0).cast("long")).otherwise(F.xxhash64(country, F.coalesce(region, F.lit(""))))


def dim_places(places: DataFrame, country_name) -> DataFrame:
    """A row per (country, region), and one "unknown" row (place_key 0) for every tweet without a
    country whatever its region. `places`: place_counts(silver)."""
    known = places.where("country IS NOT NULL").select("country", "region", "tweets")
    unknown = places.where("country IS NULL").agg(F.coalesce(F.sum("tweets"), F.lit(0)).alias("tweets")) \
        .select(F.lit(None).cast("string").alias("country"), F.lit(None).cast("string").alias("region"),
                F.col("tweets").cast("long").alias("tweets"))
    both = known.unionByName(unknown)
    return both.select(place_key(F.col("country"), F.col("region")).alias("place_key"), "country",
                       country_name(F.col("country")).alias("country_name"), "region", "tweets")


def display_hashtags(tags: DataFrame, *by: str) -> DataFrame:
    """(*by, hashtag, display_hashtag): the spelling most tweets use for each key, ties to the smallest
    (deterministic reruns). Rows written before tweet_hashtags had spellings count as the key itself."""
    spelled = tags.select(*by, "hashtag", F.coalesce("hashtag_display", "hashtag").alias("spelling"))
    counted = spelled.groupBy(*by, "hashtag", "spelling").agg(F.count(F.lit(1)).alias("n"))
    first = Window.partitionBy(*by, "hashtag").orderBy(F.desc("n"), F.asc("spelling"))
    return counted.withColumn("_rank", F.row_number().over(first)).where("_rank = 1") \
        .select(*by, "hashtag", F.col("spelling").alias("display_hashtag"))


def dim_hashtags(tags: DataFrame) -> DataFrame:
    counts = tags.groupBy("hashtag").agg(F.min("created_date").alias("first_seen"),
                                         F.max("created_date").alias("last_seen"),
                                         F.countDistinct("tweet_id").alias("tweets"))
    return counts.join(display_hashtags(tags), "hashtag") \
        .select(F.xxhash64("hashtag").alias("hashtag_key"), "hashtag",
                F.col("hashtag").contains("santander").alias("is_brand"), "first_seen", "last_seen", "tweets",
                "display_hashtag")


def touched_authors(silver_all: DataFrame, old_fact: DataFrame, old_authors: DataFrame, dates: list[str]) -> DataFrame:
    """author_key of every author with a tweet in `dates`, in silver now or in the fact before this build
    (a tweet gone from silver changes its author's versions too)."""
    now = silver_all.where(F.col("created_date").isin(dates)).select("author_key")
    before = old_fact.where(F.col("created_date").isin(dates)).select("author_sk") \
        .join(old_authors.select("author_sk", "author_key"), "author_sk").select("author_key")
    return now.unionByName(before).where("author_key IS NOT NULL").distinct()


def dim_authors_incremental(silver_all: DataFrame, old_authors: DataFrame, touched: DataFrame) -> DataFrame:
    """dim_authors as dim_authors(all of silver) would give it, computing versions only for `touched`.
    An author's versions depend on their own tweets alone, so an author without a changed tweet keeps
    the rows the last build wrote (the whole-table build on the first run, when nothing is kept)."""
    theirs = silver_all.join(touched, "author_key", "left_semi")
    fresh = dim_authors(theirs, location_countries(theirs))
    kept = old_authors.join(touched, "author_key", "left_anti")
    return fresh.unionByName(kept.select(*fresh.columns))


# ---- per-date tables -----------------------------------------------------------------------------
def fact_tweets(silver: DataFrame, authors: DataFrame) -> DataFrame:
    a = authors.select("author_sk", F.col("author_key").alias("a_key"), "valid_from", "valid_to")
    joined = silver.join(a, (silver.author_key == a.a_key) & (silver.created_at >= a.valid_from)
                         & (silver.created_at < a.valid_to), "left")
    return joined.select(
        "tweet_id", "created_at", F.date_format("created_date", "yyyyMMdd").cast("int").alias("date_key"),
        "author_sk", place_key(F.col("country"), F.col("region")).alias("place_key"), "lang", "tweet_type",
        "is_retweet", "is_reply", "is_quote", "sentiment_score", "sentiment_label", "retweet_count", "reply_count",
        "like_count", "quote_count", "impression_count", "engagement",
        F.size(F.coalesce("hashtags", F.array())).cast("int").alias("hashtag_count"), "edit_count", "created_date")


def label_count(label: str):
    return F.sum((F.col("sentiment_label") == label).cast("long"))


def mart_hashtag_daily(tags: DataFrame) -> DataFrame:
    return tags.groupBy("created_date", "hashtag").agg(
        F.count(F.lit(1)).alias("tweets"), F.countDistinct("author_key").alias("authors"),
        F.sum("engagement").alias("engagement"), label_count("positive").alias("positive"),
        label_count("negative").alias("negative")) \
        .join(display_hashtags(tags, "created_date"), ["created_date", "hashtag"]) \
        .select("hashtag", "tweets", "authors", "engagement", "positive", "negative", "display_hashtag", "created_date")


def mart_sentiment(silver: DataFrame, country_name) -> DataFrame:
    return silver.groupBy("created_date", "country").agg(
        F.count(F.lit(1)).alias("tweets"), F.round(F.avg("sentiment_score"), 6).alias("avg_sentiment"),
        label_count("positive").alias("positive"), label_count("neutral").alias("neutral"),
        label_count("negative").alias("negative")) \
        .select("country", country_name(F.col("country")).alias("country_name"), "tweets", "avg_sentiment",
                "positive", "neutral", "negative", "created_date")


def mart_top_words(silver: DataFrame) -> DataFrame:
    from spark.transforms import columnar

    lang = F.coalesce(F.col("lang"), F.lit("und"))
    words = silver.select("created_date", lang.alias("lang"), "text") \
        .mapInArrow(columnar.words_arrow, "created_date date, lang string, word string")
    counted = words.groupBy("created_date", "lang", "word").agg(F.count(F.lit(1)).alias("occurrences"))
    rank = F.row_number().over(Window.partitionBy("created_date", "lang")
                               .orderBy(F.desc("occurrences"), F.asc("word")))
    return counted.withColumn("word_rank", rank).where(F.col("word_rank") <= TOP_WORDS) \
        .select("lang", "word", "occurrences", "word_rank", "created_date")


def mart_engagement_by_tier(silver: DataFrame) -> DataFrame:
    return silver.groupBy("created_date", "author_tier").agg(
        F.count(F.lit(1)).alias("tweets"), F.countDistinct("author_key").alias("authors"),
        F.sum("engagement").alias("engagement"), F.round(F.avg("engagement"), 6).alias("avg_engagement"),
        F.sum("like_count").alias("likes"), F.sum("retweet_count").alias("retweets")) \
        .select("author_tier", "tweets", "authors", "engagement", "avg_engagement", "likes", "retweets", "created_date")


def common_timed(name: str, fn):
    with common.timed(name):
        return fn()


# ---- the build -----------------------------------------------------------------------------------
def country_names():
    """ISO 3166-1 alpha-2 -> common name, as a literal map column (250 entries; no Python UDF)."""
    import pycountry

    pairs = []
    for c in pycountry.countries:
        pairs += [F.lit(c.alpha_2), F.lit(getattr(c, "common_name", None) or c.name)]
    names = F.create_map(*pairs)
    return lambda cc: F.try_element_at(names, cc)


def location_countries(silver: DataFrame) -> DataFrame:
    """(author_location, location_country) of every distinct author location, resolved once each."""
    from spark.transforms import columnar

    return silver.select("author_location").where("author_location IS NOT NULL").distinct() \
        .mapInArrow(columnar.location_countries_arrow, "author_location string, location_country string")


def build(spark: SparkSession, dates: list[str], silver_db: str, gold_db: str) -> dict:
    t0 = time.monotonic()
    g = lambda t: f"{gold_db}.{t}"  # noqa: E731
    country_name = country_names()
    silver_all = spark.table(f"{silver_db}.tweets")
    tags_all = spark.table(f"{silver_db}.tweet_hashtags")

    # 1. dimensions; materialised first: the fact joins dim_authors, and later steps count them
    old_fact, old_authors = spark.table(g("fact_tweets")), spark.table(g("dim_authors"))
    touched = common_timed("gold.touched_authors", lambda: touched_authors(silver_all, old_fact, old_authors, dates)
                           .localCheckpoint(eager=True))
    places = common_timed("gold.place_counts", lambda: place_counts(silver_all).localCheckpoint(eager=True))
    dims = {
        "dim_dates": dim_dates(places),
        "dim_authors": dim_authors_incremental(silver_all, old_authors, touched),
        "dim_places": dim_places(places, country_name),
        "dim_hashtags": dim_hashtags(tags_all),
    }
    dims = {k: common_timed(f"gold.{k} compute", lambda v=v: v.localCheckpoint(eager=True)) for k, v in dims.items()}

    # 2. fact partitions whose author keys the new dim_authors no longer has (a version moved): redo them too
    healed = {str(r.created_date) for r in
              old_fact.join(dims["dim_authors"].select("author_sk"), "author_sk", "left_anti")
              .select("created_date").distinct().collect()} - set(dates)
    owned = sorted(set(dates) | healed)

    silver = silver_all.where(F.col("created_date").isin(owned))
    tags = tags_all.where(F.col("created_date").isin(owned))
    per_date = {
        "fact_tweets": fact_tweets(silver, dims["dim_authors"]),
        "bridge_tweet_hashtags": tags.select("tweet_id", F.xxhash64("hashtag").alias("hashtag_key"), "created_date"),
        "mart_hashtag_daily": mart_hashtag_daily(tags),
        "mart_sentiment_daily_country": mart_sentiment(silver, country_name),
        "mart_top_words": mart_top_words(silver),
        "mart_engagement_by_tier": mart_engagement_by_tier(silver),
    }
    counts = {}
    for name, df in dims.items():
        with common.timed(f"gold.{name} write"):
            df.write.insertInto(g(name), overwrite=True)
            counts[name] = df.count()
    with_rows = {str(r.created_date) for r in silver.select("created_date").distinct().collect()}
    for name, df in per_date.items():
        with common.timed(f"gold.{name} compute"):
            df = df.localCheckpoint(eager=True)  # compute once: written, then counted
        with common.timed(f"gold.{name} write"):
            df.write.insertInto(g(name), overwrite=True)
        per_day = {str(r.created_date): r[1] for r in df.groupBy("created_date").count().collect()}
        common.drop_partitions(spark, g(name), "created_date", set(owned) - set(per_day))
        counts[name] = sum(per_day.values())
    return {
        "created_dates": owned,
        "healed_dates": sorted(healed),
        "dates_with_rows": sorted(with_rows),
        "rows": counts,
        "seconds": round(time.monotonic() - t0, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    spark = common.session(f"lake-build-gold-{args.gold_db}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spark.sparkContext.addPyFile(str(common.code_zip(Path(tmp))))
            common.require_tables(spark, "build_gold", (f"{args.silver_db}.tweets", f"{args.silver_db}.tweet_hashtags",
                                                        *(f"{args.gold_db}.{t}" for t in DIMS + PER_DATE)), "gold")
            result = build(spark, args.dates, args.silver_db, args.gold_db)
    finally:
        spark.stop()
    common.emit("GOLD_RESULT", result)
    return result


if __name__ == "__main__":
    main()
