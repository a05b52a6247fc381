-- engine: trino
-- ops.batch_watermarks for the ingest dates INGEST_DATES: what silver now covers, per raw slot and
-- Kafka partition. Run after a build passed its gates (lake/pipeline/serving.py), for the date built and every
-- date already watermarked: a later date's build can supersede rows of earlier dates (latest ingest
-- wins), and recomputing them all keeps the table independent of the order dates were built in.
-- Two statements: the dates' old rows go (whole-partition deletes), then the new ones; between them
-- serving.tweets still counts each tweet once (its anti-join on silver), it only scans more speed rows.
-- The topic is the raw file name's first field (<topic>+<partition>+<first>+<last>.jsonl).
-- Parameters: OPS_DB, SILVER_DB, INGEST_DATES ('a', 'b', ...), RUN_ID.
DELETE FROM hive.${OPS_DB}.batch_watermarks WHERE ingest_date IN (${INGEST_DATES});

INSERT INTO hive.${OPS_DB}.batch_watermarks
SELECT ingest_hour,
       split_part(source_file, '+', 1) AS topic,
       kafka_partition,
       max(kafka_offset)               AS max_offset,
       count(*)                        AS silver_rows,
       CAST(current_timestamp AT TIME ZONE 'UTC' AS timestamp(3)) AS built_at,
       '${RUN_ID}'                     AS run_id,
       ingest_date
FROM hive.${SILVER_DB}.tweets
WHERE ingest_date IN (${INGEST_DATES}) AND kafka_partition IS NOT NULL AND kafka_offset IS NOT NULL
GROUP BY ingest_date, ingest_hour, split_part(source_file, '+', 1), kafka_partition;
