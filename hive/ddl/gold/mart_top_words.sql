-- gold.mart_top_words: the most frequent content words per day and language, for a word cloud.
-- Answers: "what are people saying?" Words: lower-case letters, stop words (pt/es/en), URLs,
-- pseudonymized handles and masked contact data removed (spark/enrich/words.py); top 100 per
-- day and language. Overwritten per created_date by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.mart_top_words (
  lang         STRING  COMMENT 'tweet language (und when unknown)',
  word         STRING,
  occurrences  BIGINT,
  word_rank    INT     COMMENT '1 = most frequent that day in that language'
)
COMMENT 'Top words per day and language. Answers: what people are saying (word cloud)'
PARTITIONED BY (created_date DATE)
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
