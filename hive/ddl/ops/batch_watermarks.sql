-- ops.batch_watermarks: how far the batch layer has covered the Kafka log, per raw ingest slot.
-- Answers: "which speed rows does silver already hold?" One row per (ingest_date, ingest_hour, topic,
-- kafka_partition) a batch build loaded into silver: every record of that slot and partition at or
-- below max_offset is in silver (kept, superseded by a later ingest, or rejected). The raw sink lands
-- a slot's records in offset order, so that is a high-watermark per slot and partition.
-- Written by lake/watermark.py after a build's quality gates pass (the lake_batch DAG's last step);
-- a rebuild of an ingest date replaces that date's rows (partition overwrite), so reruns are idempotent.
-- Parameters: OPS_DB.
CREATE DATABASE IF NOT EXISTS ${OPS_DB}
  COMMENT 'Operational tables: quality checks, batch watermarks';

CREATE TABLE IF NOT EXISTS ${OPS_DB}.batch_watermarks (
  ingest_hour     STRING    COMMENT 'raw ingest_hour (UTC hour of the Kafka record timestamp)',
  topic           STRING    COMMENT 'Kafka topic of the raw files',
  kafka_partition INT,
  max_offset      BIGINT    COMMENT 'highest Kafka offset of this slot and partition that silver covers',
  silver_rows     BIGINT    COMMENT 'silver rows of this slot and partition at build time',
  built_at        TIMESTAMP COMMENT 'when the watermark was recorded (UTC)',
  run_id          STRING    COMMENT 'who advanced it: an Airflow run id, or cli'
)
COMMENT 'Batch layer high-watermarks per raw slot and Kafka partition; serving.tweets hides speed rows at or below them'
PARTITIONED BY (ingest_date STRING COMMENT 'raw ingest_date the batch build covered')
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
