-- gold.bridge_tweet_hashtags: many-to-many between fact_tweets and dim_hashtags.
-- Answers: "tweets about hashtag X" as a join, keeping fact_tweets at one row per tweet.
-- Overwritten per created_date by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.bridge_tweet_hashtags (
  tweet_id      BIGINT  COMMENT 'fact_tweets.tweet_id',
  hashtag_key   BIGINT  COMMENT 'dim_hashtags.hashtag_key'
)
COMMENT 'Tweet-hashtag bridge. Answers: tweets about hashtag X, as a join'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
