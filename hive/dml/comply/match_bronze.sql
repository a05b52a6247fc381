-- engine: trino
-- bronze.tweets rows of removed tweets or authors, per (tweet_id, author_key); before and after `make comply`.
-- Parameters: BRONZE_DB, TWEET_IDS (bigint list or NULL), AUTHOR_KEYS (string list or NULL).
SELECT tweet_id, author_key, count(*) FROM hive.${BRONZE_DB}.tweets
WHERE tweet_id IN (${TWEET_IDS}) OR author_key IN (${AUTHOR_KEYS})
GROUP BY tweet_id, author_key
