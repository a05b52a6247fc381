-- engine: trino
-- The speed.tweets files holding a row of a removed tweet or author: `make comply` rewrites exactly
-- these, each under its own name (the speed layer's b<batch id>-<n>.parquet bookkeeping stays valid).
-- Parameters: SPEED_DB, TWEET_IDS, AUTHOR_KEYS.
SELECT DISTINCT "$path" FROM hive.${SPEED_DB}.tweets
WHERE tweet_id IN (${TWEET_IDS}) OR author_key IN (${AUTHOR_KEYS})
