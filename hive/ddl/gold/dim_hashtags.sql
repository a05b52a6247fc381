-- gold.dim_hashtags: one row per normalized hashtag; tweets link to it through bridge_tweet_hashtags
-- (a tweet has many hashtags: a bridge keeps the fact at one row per tweet).
-- Answers: "which topics exist, since when, how big?" Rebuilt whole by spark/jobs/build_gold.py.
-- Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.dim_hashtags (
  hashtag_key   BIGINT  COMMENT 'xxhash64(hashtag)',
  hashtag       STRING  COMMENT 'normalized (no #, case- and accent-folded)',
  is_brand      BOOLEAN COMMENT 'contains "santander" (the brand the lake follows)',
  first_seen    DATE,
  last_seen     DATE,
  tweets        BIGINT  COMMENT 'tweets with this hashtag (all dates)',
  display_hashtag STRING COMMENT 'the spelling tweets use most for this key (all dates; ties: the smallest)'
)
COMMENT 'Hashtags. Answers: which topics exist, since when, how big'
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
