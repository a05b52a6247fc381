-- speed.tweets_rejected: Kafka records the speed layer could not turn into a row, with the reason.
-- Same columns and reason codes as bronze.tweets_rejected (spark/transforms/parse.py REASONS): the
-- batch and speed paths run the same parse, so a record rejected by one is rejected by the other
-- for the same reason. Holds where the record is in Kafka, never its content.
-- source_file is 'kafka:<topic>'; kafka_partition/kafka_offset locate the record.
-- Parameters: SPEED_DB.
CREATE DATABASE IF NOT EXISTS ${SPEED_DB}
  COMMENT 'Speed layer: tweets streamed from Kafka, not yet covered by the batch layer';

CREATE TABLE IF NOT EXISTS ${SPEED_DB}.tweets_rejected (
  reason          STRING  COMMENT 'parse.py reason code: invalid_json, not_a_tweet, unsupported_format, missing_id, bad_id_type, bad_id, missing_user, missing_created_at, bad_created_at, bad_type',
  detail          STRING  COMMENT 'one line naming the field and JSON type at fault (no user content)',
  tweet_id        STRING  COMMENT 'the tweet id when one could be read',
  payload_bytes   INT     COMMENT 'size of the Kafka record value',
  ingest_hour     STRING,
  source_file     STRING  COMMENT 'kafka:<topic>',
  kafka_partition INT,
  kafka_offset    BIGINT
)
COMMENT 'Kafka records the speed layer rejected, with the reason codes of the batch layer'
PARTITIONED BY (ingest_date STRING COMMENT 'UTC date of the Kafka record timestamp')
STORED AS PARQUET
TBLPROPERTIES ('parquet.compression'='ZSTD');
