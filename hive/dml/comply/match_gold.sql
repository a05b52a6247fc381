-- engine: trino
-- gold.fact_tweets rows of removed tweets or authors (the author through its dim_authors version),
-- and dim_authors versions of removed authors (counted under tweet_id NULL).
-- Parameters: GOLD_DB, TWEET_IDS, AUTHOR_KEYS.
SELECT f.tweet_id, a.author_key, count(*) FROM hive.${GOLD_DB}.fact_tweets f
LEFT JOIN hive.${GOLD_DB}.dim_authors a ON a.author_sk = f.author_sk
WHERE f.tweet_id IN (${TWEET_IDS}) OR a.author_key IN (${AUTHOR_KEYS})
GROUP BY f.tweet_id, a.author_key
UNION ALL
SELECT CAST(NULL AS bigint), author_key, count(*) FROM hive.${GOLD_DB}.dim_authors
WHERE author_key IN (${AUTHOR_KEYS})
GROUP BY author_key
