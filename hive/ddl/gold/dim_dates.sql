-- gold.dim_dates: the calendar, one row per day from the first to the last tweet date in silver.
-- Answers: "group by weekday, week, month, quarter" without date arithmetic in every query.
-- Rewritten whole by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.dim_dates (
  date_key      INT     COMMENT 'yyyymmdd; fact_tweets.date_key',
  full_date     DATE,
  year          INT,
  quarter       INT,
  month         INT,
  month_name    STRING,
  day_of_month  INT,
  day_of_week   INT     COMMENT '1 = Monday .. 7 = Sunday (ISO)',
  day_name      STRING,
  iso_week      INT,
  is_weekend    BOOLEAN
)
COMMENT 'Calendar dimension. Answers: activity by weekday, week, month and quarter'
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
