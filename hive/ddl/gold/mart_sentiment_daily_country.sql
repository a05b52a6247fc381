-- gold.mart_sentiment_daily_country: sentiment by day and country.
-- Answers: "how do people feel about the brand, per market, day by day?" (country NULL = unresolved).
-- Overwritten per created_date by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.mart_sentiment_daily_country (
  country        STRING  COMMENT 'ISO 3166-1 alpha-2; NULL = not resolved',
  country_name   STRING,
  tweets         BIGINT,
  avg_sentiment  DOUBLE  COMMENT 'mean compound score in [-1, 1]',
  positive       BIGINT,
  neutral        BIGINT,
  negative       BIGINT
)
COMMENT 'Sentiment by day and country. Answers: how people feel about the brand, per market, per day'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
