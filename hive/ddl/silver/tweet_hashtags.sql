-- silver.tweet_hashtags: one row per tweet and (normalized) hashtag.
-- Answers: "which hashtags, when, by whom, in what mood?" without exploding arrays in every query.
-- Written by spark/jobs/build_silver.py with silver.tweets' rows, per created_date partition.
-- Parameters: SILVER_DB.
CREATE DATABASE IF NOT EXISTS ${SILVER_DB}
  COMMENT 'Silver: cleaned, enriched tweets (sentiment, country, normalized hashtags)';

CREATE TABLE IF NOT EXISTS ${SILVER_DB}.tweet_hashtags (
  tweet_id        BIGINT     COMMENT 'silver.tweets.tweet_id',
  hashtag         STRING     COMMENT 'matching key: NFKC, casefold, Latin diacritics folded; marks of other scripts kept',
  created_at      TIMESTAMP,
  author_key      STRING,
  lang            STRING,
  country         STRING,
  sentiment_label STRING,
  engagement      BIGINT,
  hashtag_display STRING     COMMENT 'the hashtag as this tweet spells it (NFKC, case and accents kept)'
)
COMMENT 'One row per tweet and hashtag. Answers: which hashtags, when, by whom, in what mood'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
