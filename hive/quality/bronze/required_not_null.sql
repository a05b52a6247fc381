-- required columns are set: tweet_id, created_at, author_key, tweet_type, source_format, ingest lineage
SELECT count(*) AS observed, 0 AS expected
FROM hive.${BRONZE_DB}.tweets
WHERE created_date IN (${CREATED_DATES})
  AND (tweet_id IS NULL OR created_at IS NULL OR author_key IS NULL OR tweet_type IS NULL
       OR source_format IS NULL OR ingest_date IS NULL OR source_file IS NULL)
