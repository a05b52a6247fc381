-- tweet_id is unique in gold.fact_tweets (over the partitions built)
SELECT count(*) - count(DISTINCT tweet_id) AS observed, 0 AS expected
FROM hive.${GOLD_DB}.fact_tweets WHERE created_date IN (${CREATED_DATES})
