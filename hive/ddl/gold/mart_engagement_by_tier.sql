-- gold.mart_engagement_by_tier: engagement by author tier (followers band at tweet time).
-- Answers: "do big accounts or the long tail drive engagement about us?"
-- Overwritten per created_date by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.mart_engagement_by_tier (
  author_tier      STRING  COMMENT 'nano <1k, micro <10k, mid <100k, macro <1M, mega followers',
  tweets           BIGINT,
  authors          BIGINT,
  engagement       BIGINT,
  avg_engagement   DOUBLE  COMMENT 'engagement per tweet',
  likes            BIGINT,
  retweets         BIGINT
)
COMMENT 'Engagement by author tier and day. Answers: do big accounts or the long tail drive engagement'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
