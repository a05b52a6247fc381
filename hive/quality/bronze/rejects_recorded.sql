-- every reject counted in the reconciliation has its row in bronze.tweets_rejected, with a reason
SELECT
  (SELECT count(*) FROM hive.${BRONZE_DB}.tweets_rejected
    WHERE ingest_date IN (${INGEST_DATES}) AND reason IS NOT NULL) AS observed,
  (SELECT coalesce(sum(rejects), 0) FROM hive.${BRONZE_DB}.tweets_loaded_files
    WHERE ingest_date IN (${INGEST_DATES})) AS expected
