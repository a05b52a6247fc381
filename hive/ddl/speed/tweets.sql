-- speed.tweets: the streaming layer, silver rows of the tweets posted since the last batch build.
-- Answers: "what arrived in the last minutes?" -- the same columns, names and types as silver.tweets
-- (spark/transforms/silver.py enrich(), shared with the batch build), so serving.tweets is a plain union.
-- Written only by spark/jobs/stream_speed.py: one Parquet file set per micro-batch, named
-- b<batch id>-*.parquet, published by rename after the batch is fully written (docs/serving.md).
-- Partitioned by the raw sink's ingest_date (UTC date of the Kafka record timestamp), so the retention
-- step drops whole days the batch layer has covered.
-- Unlike silver, one tweet may have several rows here (it was produced twice), and an edited tweet one row per
-- version streamed; serving.tweets keeps one row per edit chain, the newest version (docs/serving.md).
-- The edit chain columns come after created_date: lake/pipeline/ddl.py appends them to an older table.
-- Parameters: SPEED_DB (speed; tests use their own schema).
CREATE DATABASE IF NOT EXISTS ${SPEED_DB}
  COMMENT 'Speed layer: tweets streamed from Kafka, not yet covered by the batch layer';

CREATE TABLE IF NOT EXISTS ${SPEED_DB}.tweets (
  tweet_id               BIGINT,
  created_at             TIMESTAMP,
  text                   STRING,
  lang                   STRING,
  author_key             STRING,
  author_handle_key      STRING,
  author_location        STRING,
  author_verified        BOOLEAN,
  author_followers_count BIGINT,
  author_following_count BIGINT,
  author_tweet_count     BIGINT,
  author_tier            STRING,
  tweet_type             STRING,
  conversation_id        BIGINT,
  reply_to_tweet_id      BIGINT,
  retweeted_tweet_id     BIGINT,
  quoted_tweet_id        BIGINT,
  is_retweet             BOOLEAN,
  is_reply               BOOLEAN,
  is_quote               BOOLEAN,
  retweet_count          BIGINT,
  reply_count            BIGINT,
  like_count             BIGINT,
  quote_count            BIGINT,
  impression_count       BIGINT,
  engagement             BIGINT,
  hashtags               ARRAY<STRING>,
  mention_count          INT,
  url_count              INT,
  place_id               STRING,
  place_name             STRING,
  place_full_name        STRING,
  place_type             STRING,
  country                STRING,
  region                 STRING,
  country_source         STRING,
  geo_lat                DOUBLE,
  geo_lon                DOUBLE,
  sentiment_score        DOUBLE,
  sentiment_label        STRING,
  source_format          STRING,
  ingest_hour            STRING  COMMENT 'UTC hour of the Kafka record timestamp (as the raw sink sets ingest_hour)',
  source_file            STRING  COMMENT 'kafka:<topic> (the record has no raw file yet)',
  kafka_partition        INT,
  kafka_offset           BIGINT,
  created_date           DATE    COMMENT 'UTC date of created_at (the partition column of silver)',
  edit_root_id           BIGINT  COMMENT 'edit chain key (first version id), as in silver; NULL in rows streamed before the column existed (a chain of one)',
  edit_count             INT     COMMENT 'edits in the history of this version (spark/transforms/edits.py of_version); 0 = never edited'
)
COMMENT 'Silver-shaped rows streamed from tweets.raw; several rows per tweet or edit chain possible. Query serving.tweets instead'
PARTITIONED BY (ingest_date STRING COMMENT 'UTC date of the Kafka record timestamp, as in raw')
STORED AS PARQUET
TBLPROPERTIES ('parquet.compression'='ZSTD');
