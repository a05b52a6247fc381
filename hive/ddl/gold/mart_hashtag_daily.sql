-- gold.mart_hashtag_daily: hashtag volume by day.
-- Answers: "which hashtags around #Santander are growing, day by day?" (trend charts, top-N).
-- Overwritten per created_date by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.mart_hashtag_daily (
  hashtag     STRING,
  tweets      BIGINT,
  authors     BIGINT  COMMENT 'distinct pseudonymous authors',
  engagement  BIGINT,
  positive    BIGINT  COMMENT 'tweets labelled positive',
  negative    BIGINT  COMMENT 'tweets labelled negative',
  display_hashtag STRING COMMENT 'the spelling tweets used most for this hashtag that day (ties: the smallest)'
)
COMMENT 'Hashtag volume by day. Answers: which hashtags are growing, day by day'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
