-- silver.tweets_stage: spark/jobs/build_silver.py's output, unbucketed, before Trino publishes it
-- bucketed into silver.tweets. Same columns as silver.tweets. Not for analysts: query silver.tweets.
-- Why a stage: Spark and Trino hash Hive buckets differently (Spark writes its own murmur3
-- bucketing that Trino reads as unbucketed, or refuses to insert into), so the bucketed table is
-- written by Trino from this one (docs/modeling.md, "Bucketing").
-- Parameters: SILVER_DB.
CREATE DATABASE IF NOT EXISTS ${SILVER_DB}
  COMMENT 'Silver: cleaned, enriched tweets (sentiment, country, normalized hashtags)';

CREATE TABLE IF NOT EXISTS ${SILVER_DB}.tweets_stage (
  tweet_id BIGINT, created_at TIMESTAMP, text STRING, lang STRING, author_key STRING, author_handle_key STRING,
  author_location STRING, author_verified BOOLEAN, author_followers_count BIGINT, author_following_count BIGINT,
  author_tweet_count BIGINT, author_tier STRING, tweet_type STRING, conversation_id BIGINT, reply_to_tweet_id BIGINT,
  retweeted_tweet_id BIGINT, quoted_tweet_id BIGINT, is_retweet BOOLEAN, is_reply BOOLEAN, is_quote BOOLEAN,
  retweet_count BIGINT, reply_count BIGINT, like_count BIGINT, quote_count BIGINT, impression_count BIGINT,
  engagement BIGINT, hashtags ARRAY<STRING>, mention_count INT, url_count INT, place_id STRING, place_name STRING,
  place_full_name STRING, place_type STRING, country STRING, region STRING, country_source STRING,
  geo_lat DOUBLE, geo_lon DOUBLE, sentiment_score DOUBLE, sentiment_label STRING, source_format STRING,
  ingest_date STRING, ingest_hour STRING, source_file STRING, kafka_partition INT, kafka_offset BIGINT,
  edit_root_id BIGINT, edit_count INT
)
COMMENT 'Staging for silver.tweets (Spark output, unbucketed); query silver.tweets instead'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
