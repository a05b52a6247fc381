-- gold.fact_tweets: the star's fact, one row per tweet, measures plus dimension keys.
-- Answers: "how many tweets, how much engagement, what sentiment -- by day, author (as they were
-- then), place and hashtag?" Partitioned by created_date: the questions are by day or range.
-- Overwritten per created_date by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.fact_tweets (
  tweet_id         BIGINT    COMMENT 'degenerate dimension: the tweet',
  created_at       TIMESTAMP,
  date_key         INT       COMMENT 'dim_dates.date_key',
  author_sk        BIGINT    COMMENT 'dim_authors.author_sk: the author version valid at created_at',
  place_key        BIGINT    COMMENT 'dim_places.place_key (0 = unknown)',
  lang             STRING,
  tweet_type       STRING    COMMENT 'original | retweet | reply | quote',
  is_retweet       BOOLEAN,
  is_reply         BOOLEAN,
  is_quote         BOOLEAN,
  sentiment_score  DOUBLE,
  sentiment_label  STRING,
  retweet_count    BIGINT,
  reply_count      BIGINT,
  like_count       BIGINT,
  quote_count      BIGINT,
  impression_count BIGINT,
  engagement       BIGINT    COMMENT 'retweets + replies + likes + quotes',
  hashtag_count    INT,
  edit_count       INT       COMMENT 'edits of the tweet (silver.tweets.edit_count); the row is its latest version'
)
COMMENT 'One row per tweet with measures and keys to dim_dates, dim_authors, dim_places (+ bridge to dim_hashtags). Answers: volume, engagement and sentiment by any dimension'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
