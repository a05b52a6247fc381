-- tweet_id is unique in silver.tweets (over the partitions built)
SELECT count(*) - count(DISTINCT tweet_id) AS observed, 0 AS expected
FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${CREATED_DATES})
