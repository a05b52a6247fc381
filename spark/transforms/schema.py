"""Explicit Spark schemas of the bronze tables, next to the transforms that fill them.

The column order is the Hive DDL's (hive/ddl/bronze/*.sql), partition column last,
so rows can be written with insertInto; a unit test checks the DDL agrees.
"""
from __future__ import annotations

from pyspark.sql.types import (ArrayType, BooleanType, DateType, DoubleType, IntegerType, LongType, StringType,
                               StructField, StructType, TimestampType)


def _f(name: str, dtype, nullable: bool = True) -> StructField:
    return StructField(name, dtype, nullable)


INGEST_FIELDS = [
    _f("ingest_hour", StringType(), False),
    _f("source_file", StringType(), False),
    _f("kafka_partition", IntegerType()),
    _f("kafka_offset", LongType()),
]

BRONZE_SCHEMA = StructType([
    _f("tweet_id", LongType(), False),
    _f("created_at", TimestampType(), False),
    _f("text", StringType()),
    _f("lang", StringType()),
    _f("author_key", StringType(), False),
    _f("author_handle_key", StringType()),
    _f("author_location", StringType()),
    _f("author_verified", BooleanType()),
    _f("author_followers_count", LongType()),
    _f("author_following_count", LongType()),
    _f("author_tweet_count", LongType()),
    _f("author_listed_count", LongType()),
    _f("tweet_type", StringType(), False),
    _f("conversation_id", LongType()),
    _f("reply_to_tweet_id", LongType()),
    _f("reply_to_user_key", StringType()),
    _f("retweeted_tweet_id", LongType()),
    _f("retweeted_author_key", StringType()),
    _f("quoted_tweet_id", LongType()),
    _f("quoted_author_key", StringType()),
    _f("retweet_count", LongType()),
    _f("reply_count", LongType()),
    _f("like_count", LongType()),
    _f("quote_count", LongType()),
    _f("impression_count", LongType()),
    _f("hashtags", ArrayType(StringType(), False)),
    _f("cashtags", ArrayType(StringType(), False)),
    _f("mentions", ArrayType(StructType([_f("user_key", StringType()), _f("handle_key", StringType())]), False)),
    _f("urls", ArrayType(StructType([_f("url", StringType()), _f("expanded_url", StringType())]), False)),
    _f("place_id", StringType()),
    _f("place_name", StringType()),
    _f("place_full_name", StringType()),
    _f("place_type", StringType()),
    _f("country", StringType()),
    _f("country_name", StringType()),
    _f("place_bbox", ArrayType(DoubleType(), False)),
    _f("geo_lat", DoubleType()),
    _f("geo_lon", DoubleType()),
    _f("source", StringType()),
    _f("possibly_sensitive", BooleanType()),
    _f("source_format", StringType(), False),
    _f("ingest_date", StringType(), False),
    *INGEST_FIELDS,
    # appended after the columns bronze first had (lake/pipeline/ddl.py adds them to an older table)
    _f("edit_root_id", LongType()),   # NULL in rows built before the column existed: a chain of one
    _f("edit_version", IntegerType()),
    _f("edit_versions", IntegerType()),
    _f("created_date", DateType(), False),  # partition
])

REJECTED_SCHEMA = StructType([
    _f("reason", StringType(), False),
    _f("detail", StringType()),
    _f("tweet_id", StringType()),
    _f("payload_bytes", IntegerType()),
    *INGEST_FIELDS,
    _f("ingest_date", StringType(), False),  # partition
])

LOADED_FILES_SCHEMA = StructType([
    _f("source_file", StringType(), False),
    _f("file_bytes", LongType(), False),
    _f("records", LongType(), False),
    _f("bronze_rows", LongType(), False),
    _f("duplicates", LongType(), False),
    _f("rejects", LongType(), False),
    _f("created_dates", StringType(), True),  # NULL in rows loaded before the column existed
    _f("ingest_date", StringType(), False),  # partition
])

# silver.tweets (hive/ddl/silver/tweets.sql): bronze's key columns plus enrichment (spark/transforms/silver.py).
SILVER_SCHEMA = StructType([
    *(f for f in BRONZE_SCHEMA.fields if f.name in (
        "tweet_id", "created_at", "text", "lang", "author_key", "author_handle_key", "author_location",
        "author_verified", "author_followers_count", "author_following_count", "author_tweet_count")),
    _f("author_tier", StringType()),
    *(f for f in BRONZE_SCHEMA.fields if f.name in (
        "tweet_type", "conversation_id", "reply_to_tweet_id", "retweeted_tweet_id", "quoted_tweet_id")),
    _f("is_retweet", BooleanType(), False),
    _f("is_reply", BooleanType(), False),
    _f("is_quote", BooleanType(), False),
    *(f for f in BRONZE_SCHEMA.fields if f.name in (
        "retweet_count", "reply_count", "like_count", "quote_count", "impression_count")),
    _f("engagement", LongType(), False),
    _f("hashtags", ArrayType(StringType(), False)),
    _f("mention_count", IntegerType(), False),
    _f("url_count", IntegerType(), False),
    *(f for f in BRONZE_SCHEMA.fields if f.name in (
        "place_id", "place_name", "place_full_name", "place_type")),
    _f("country", StringType()),
    _f("region", StringType()),
    _f("country_source", StringType()),
    *(f for f in BRONZE_SCHEMA.fields if f.name in ("geo_lat", "geo_lon")),
    _f("sentiment_score", DoubleType(), False),
    _f("sentiment_label", StringType(), False),
    *(f for f in BRONZE_SCHEMA.fields if f.name in ("source_format", "ingest_date")),
    *INGEST_FIELDS,
    _f("created_date", DateType(), False),  # partition
])

# silver.tweets and silver.tweets_stage as written: what silver_batch makes, then the edit chain's
# columns (spark/transforms/edits.py; appended, so older tables take them), the partition column last.
SILVER_TABLE_SCHEMA = StructType([
    *(f for f in SILVER_SCHEMA.fields if f.name != "created_date"),
    _f("edit_root_id", LongType(), False),
    _f("edit_count", IntegerType(), False),
    SILVER_SCHEMA["created_date"],
])

# speed.tweets (hive/ddl/speed/tweets.sql): silver's columns, then silver.tweets' edit chain columns (each
# version's own, spark/transforms/edits.py of_version; appended after created_date, so an older speed table
# takes them), its partition column (ingest_date) last.
SPEED_SCHEMA_OF_STREAM = StructType([f for f in SILVER_SCHEMA.fields if f.name != "ingest_date"]
                                    + [SILVER_TABLE_SCHEMA["edit_root_id"], SILVER_TABLE_SCHEMA["edit_count"]]
                                    + [SILVER_SCHEMA["ingest_date"]])
