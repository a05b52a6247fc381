-- engine: trino
-- speed.tweets rows of removed tweets or authors, per (tweet_id, author_key).
-- Parameters: SPEED_DB, TWEET_IDS, AUTHOR_KEYS.
SELECT tweet_id, author_key, count(*) FROM hive.${SPEED_DB}.tweets
WHERE tweet_id IN (${TWEET_IDS}) OR author_key IN (${AUTHOR_KEYS})
GROUP BY tweet_id, author_key
