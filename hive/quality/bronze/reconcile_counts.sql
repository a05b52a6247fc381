-- raw records of the ingest dates = bronze rows + duplicates + rejects (bronze.tweets_loaded_files)
SELECT
  (SELECT count(*) FROM hive.${RAW_DB}.tweets WHERE ingest_date IN (${INGEST_DATES})) AS observed,
  (SELECT coalesce(sum(bronze_rows + duplicates + rejects), 0) FROM hive.${BRONZE_DB}.tweets_loaded_files
    WHERE ingest_date IN (${INGEST_DATES})) AS expected
