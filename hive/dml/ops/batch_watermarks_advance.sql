-- engine: trino
-- ops.batch_watermarks for one ingest date: what silver now covers, per raw slot and Kafka partition.
-- Run after the build of INGEST_DATE passed its gates (lake/watermark.py). Two statements: the date's
-- old rows go (a whole-partition delete), then the new ones; between them serving.tweets still counts
-- each tweet once (its anti-join on silver), it only scans more speed rows for a moment.
-- The topic is the raw file name's first field (<topic>+<partition>+<first>+<last>.jsonl).
-- Parameters: OPS_DB, SILVER_DB, INGEST_DATE, RUN_ID.
DELETE FROM hive.${OPS_DB}.batch_watermarks WHERE ingest_date = '${INGEST_DATE}';

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
WHERE ingest_date = '${INGEST_DATE}' AND kafka_partition IS NOT NULL AND kafka_offset IS NOT NULL
GROUP BY ingest_date, ingest_hour, split_part(source_file, '+', 1), kafka_partition;
