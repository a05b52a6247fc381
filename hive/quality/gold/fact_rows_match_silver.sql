-- gold.fact_tweets has one row per silver tweet for the partitions built
SELECT
  (SELECT count(*) FROM hive.${GOLD_DB}.fact_tweets WHERE created_date IN (${CREATED_DATES})) AS observed,
  (SELECT count(*) FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${CREATED_DATES})) AS expected
