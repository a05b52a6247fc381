-- engine: trino
-- serving.tweets: every tweet the lake holds, batch and speed layers merged, each tweet exactly once and
-- each edited tweet once, in its newest version.
-- Answers: "what has been posted, up to a few seconds ago?" without knowing which layer holds it.
-- The contract (columns, freshness, how the layers meet) is docs/serving.md:
--   * all of silver.tweets (one row per tweet and per edit chain, the batch layer's answer wins);
--   * plus the speed rows the batch layer has not covered: above ops.batch_watermarks' max_offset
--     for their (ingest_date, ingest_hour, topic, Kafka partition), whose tweet_id is not in silver
--     (a tweet ingested again after the batch covered its first copy), one per edit chain (the highest
--     tweet id, the newest version; of one tweet, the latest Kafka record, as in bronze).
-- Edited tweets (docs/modeling.md "Edited tweets"): each version has its own tweet id and one chain key,
-- edit_root_id (NULL in speed rows streamed before the column existed: the tweet itself). Across the
-- layers the newest version wins: a silver row gives way to a newer uncovered speed version of its chain,
-- and a speed row to a newer silver version, so silver's older version never sits beside a newer one.
-- Neither branch shows a tweet, or a tweet of an author, whose removal the speed layer has read from
-- tweets.compliance (speed.compliance_pending): gone within one trigger of the event, before `make comply`
-- rewrites the files (docs/compliance.md "Within one trigger"). A removed version takes no part in picking
-- a chain's newest (the chain shows the version before it, as silver will once `make comply` rebuilds it).
-- served_from says which layer answered ('batch' | 'speed').
-- Both branches name every column on purpose (a verbatim pair `duplicates` lists): a SELECT * union
-- binds by position, so a column added to one layer would silently shift the other's values.
-- Parameters: SERVING_DB, SILVER_DB, SPEED_DB, OPS_DB.
CREATE SCHEMA IF NOT EXISTS hive.${SERVING_DB};

CREATE OR REPLACE VIEW hive.${SERVING_DB}.tweets
COMMENT 'Batch (silver) and speed layers merged; each tweet once, each edited tweet in its newest version. Contract: docs/serving.md'
SECURITY INVOKER AS
WITH pending AS (
  SELECT tweet_id, author_key FROM hive.${SPEED_DB}.compliance_pending
),
watermark AS (
  SELECT ingest_date, ingest_hour, topic, kafka_partition, max(max_offset) AS max_offset
  FROM hive.${OPS_DB}.batch_watermarks
  GROUP BY ingest_date, ingest_hour, topic, kafka_partition
),
batch AS (
  SELECT t.*
  FROM hive.${SILVER_DB}.tweets t
  WHERE NOT EXISTS (SELECT 1 FROM pending p WHERE p.tweet_id = t.tweet_id)
    AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.author_key = t.author_key)
),
uncovered AS (
  SELECT s.*,
         coalesce(s.edit_root_id, s.tweet_id) AS chain_id,
         -- the newest version of the chain (highest id); of one tweet, its latest Kafka record
         row_number() OVER (PARTITION BY coalesce(s.edit_root_id, s.tweet_id)
                            ORDER BY s.tweet_id DESC, s.ingest_date DESC, s.ingest_hour DESC, s.kafka_offset DESC,
                                     s.kafka_partition DESC) AS latest
  FROM hive.${SPEED_DB}.tweets s
  LEFT JOIN watermark w
    ON w.ingest_date = s.ingest_date AND w.ingest_hour = s.ingest_hour
   AND w.kafka_partition = s.kafka_partition AND w.topic = substr(s.source_file, 7)
  WHERE (w.max_offset IS NULL OR s.kafka_offset > w.max_offset)
    AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.tweet_id = s.tweet_id)
    AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.author_key = s.author_key)
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
  edit_root_id,
  edit_count,
  created_date,
  'batch' AS served_from
FROM batch t
-- a newer version of its chain the batch has not covered yet (only edited versions can be newer: the root
-- is a chain's lowest id)
WHERE NOT EXISTS (SELECT 1 FROM uncovered n
                  WHERE n.chain_id <> n.tweet_id AND n.chain_id = coalesce(t.edit_root_id, t.tweet_id)
                    AND n.tweet_id > t.tweet_id)
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
  chain_id AS edit_root_id,
  coalesce(edit_count, 0) AS edit_count,
  created_date,
  'speed' AS served_from
FROM uncovered u
WHERE u.latest = 1
  AND NOT EXISTS (SELECT 1 FROM batch b WHERE b.tweet_id = u.tweet_id)
  AND NOT EXISTS (SELECT 1 FROM batch b
                  WHERE b.edit_root_id <> b.tweet_id AND b.edit_root_id = u.chain_id AND b.tweet_id > u.tweet_id);
