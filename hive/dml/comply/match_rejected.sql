-- engine: trino
-- bronze.tweets_rejected rows that name a removed tweet (rejects carry no author key).
-- Parameters: BRONZE_DB, TWEET_ID_STRINGS (string list or NULL).
SELECT try_cast(tweet_id AS bigint), CAST(NULL AS varchar), count(*) FROM hive.${BRONZE_DB}.tweets_rejected
WHERE tweet_id IN (${TWEET_ID_STRINGS})
GROUP BY tweet_id
