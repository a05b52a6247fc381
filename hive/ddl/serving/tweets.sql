-- engine: trino
-- serving.tweets: every tweet the lake holds, batch and speed layers merged, each tweet exactly once.
-- Answers: "what has been posted, up to a few seconds ago?" without knowing which layer holds it.
-- The contract (columns, freshness, how the layers meet) is docs/serving.md:
--   * all of silver.tweets (one row per tweet, the batch layer's answer wins);
--   * plus the speed rows the batch layer has not covered: above ops.batch_watermarks' max_offset
--     for their (ingest_date, ingest_hour, topic, Kafka partition), whose tweet_id is not in silver
--     (a tweet ingested again after the batch covered its first copy), one per tweet_id (latest
--     Kafka record wins, as in bronze).
-- Neither branch shows a tweet, or a tweet of an author, whose removal the speed layer has read from
-- tweets.compliance (speed.compliance_pending): gone within one trigger of the event, before `make comply`
-- rewrites the files (docs/compliance.md "Within one trigger").
-- served_from says which layer answered ('batch' | 'speed').
-- Both branches name every column on purpose (a verbatim pair `duplicates` lists): a SELECT * union
-- binds by position, so a column added to one layer would silently shift the other's values.
-- Parameters: SERVING_DB, SILVER_DB, SPEED_DB, OPS_DB.
CREATE SCHEMA IF NOT EXISTS hive.${SERVING_DB};

CREATE OR REPLACE VIEW hive.${SERVING_DB}.tweets
COMMENT 'Batch (silver) and speed layers merged; each tweet once. Contract: docs/serving.md'
SECURITY INVOKER AS
WITH pending AS (
  SELECT tweet_id, author_key FROM hive.${SPEED_DB}.compliance_pending
),
watermark AS (
  SELECT ingest_date, ingest_hour, topic, kafka_partition, max(max_offset) AS max_offset
  FROM hive.${OPS_DB}.batch_watermarks
  GROUP BY ingest_date, ingest_hour, topic, kafka_partition
),
uncovered AS (
  SELECT s.*,
         row_number() OVER (PARTITION BY s.tweet_id
                            ORDER BY s.ingest_date DESC, s.ingest_hour DESC, s.kafka_offset DESC, s.kafka_partition DESC) AS latest
  FROM hive.${SPEED_DB}.tweets s
  LEFT JOIN watermark w
    ON w.ingest_date = s.ingest_date AND w.ingest_hour = s.ingest_hour
   AND w.kafka_partition = s.kafka_partition AND w.topic = substr(s.source_file, 7)
  WHERE w.max_offset IS NULL OR s.kafka_offset > w.max_offset
)
SELECT
  tweet_id,
  created_at,
  text,
  lang,
  author_key,
  author_handle_key,
  author_location,
  author_verified,
  author_followers_count,
  author_following_count,
  author_tweet_count,
  author_tier,
  tweet_type,
  conversation_id,
  reply_to_tweet_id,
  retweeted_tweet_id,
  quoted_tweet_id,
  is_retweet,
  is_reply,
  is_quote,
  retweet_count,
  reply_count,
  like_count,
  quote_count,
  impression_count,
  engagement,
  hashtags,
  mention_count,
  url_count,
  place_id,
  place_name,
  place_full_name,
  place_type,
  country,
  region,
  country_source,
  geo_lat,
  geo_lon,
  sentiment_score,
  sentiment_label,
  source_format,
  ingest_date,
  ingest_hour,
  source_file,
  kafka_partition,
  kafka_offset,
  created_date,
  'batch' AS served_from
FROM hive.${SILVER_DB}.tweets t
WHERE NOT EXISTS (SELECT 1 FROM pending p WHERE p.tweet_id = t.tweet_id)
  AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.author_key = t.author_key)
UNION ALL
SELECT
  tweet_id,
  created_at,
  text,
  lang,
  author_key,
  author_handle_key,
  author_location,
  author_verified,
  author_followers_count,
  author_following_count,
  author_tweet_count,
  author_tier,
  tweet_type,
  conversation_id,
  reply_to_tweet_id,
  retweeted_tweet_id,
  quoted_tweet_id,
  is_retweet,
  is_reply,
  is_quote,
  retweet_count,
  reply_count,
  like_count,
  quote_count,
  impression_count,
  engagement,
  hashtags,
  mention_count,
  url_count,
  place_id,
  place_name,
  place_full_name,
  place_type,
  country,
  region,
  country_source,
  geo_lat,
  geo_lon,
  sentiment_score,
  sentiment_label,
  source_format,
  ingest_date,
  ingest_hour,
  source_file,
  kafka_partition,
  kafka_offset,
  created_date,
  'speed' AS served_from
FROM uncovered u
WHERE u.latest = 1
  AND NOT EXISTS (SELECT 1 FROM hive.${SILVER_DB}.tweets b WHERE b.tweet_id = u.tweet_id)
  AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.tweet_id = u.tweet_id)
  AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.author_key = u.author_key);
