-- engine: trino
-- The raw ingest dates whose bronze rows or rejects hold a removed tweet or author: `make comply`
-- rebuilds them (with the dates whose raw files it rewrote), so bronze, silver and gold lose the rows
-- even when their raw file is gone.
-- Parameters: BRONZE_DB, TWEET_IDS, TWEET_ID_STRINGS, AUTHOR_KEYS.
SELECT DISTINCT ingest_date FROM hive.${BRONZE_DB}.tweets
WHERE tweet_id IN (${TWEET_IDS}) OR author_key IN (${AUTHOR_KEYS})
UNION
SELECT DISTINCT ingest_date FROM hive.${BRONZE_DB}.tweets_rejected
WHERE tweet_id IN (${TWEET_ID_STRINGS})
