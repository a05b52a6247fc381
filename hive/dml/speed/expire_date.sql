-- engine: trino
-- Drops one speed-layer day (a whole-partition delete: Trino removes the partition and its files)
-- and that day's speed rejects (bronze.tweets_rejected holds the same records with the same reasons
-- once the batch layer loaded them).
-- Parameters: SPEED_DB, INGEST_DATE.
DELETE FROM hive.${SPEED_DB}.tweets WHERE ingest_date = '${INGEST_DATE}';

DELETE FROM hive.${SPEED_DB}.tweets_rejected WHERE ingest_date = '${INGEST_DATE}';
