-- tweet_id is unique in bronze.tweets (rows that repeat an id, over the partitions built)
SELECT count(*) - count(DISTINCT tweet_id) AS observed, 0 AS expected
FROM hive.${BRONZE_DB}.tweets WHERE created_date IN (${CREATED_DATES})
