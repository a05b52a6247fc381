-- bronze.tweets_rejected: raw records that are JSON but cannot become a bronze row.
-- Answers: "which landed records did bronze leave out, and why?" Holds the reason and where
-- the record is in raw (file + Kafka offset), never the payload: raw stays the only place
-- with unmasked data. Overwritten per ingest_date by spark/jobs/build_bronze.py.
-- Parameters: BRONZE_DB.
CREATE DATABASE IF NOT EXISTS ${BRONZE_DB}
  COMMENT 'Bronze: raw payloads typed, deduplicated and pseudonymized';

CREATE TABLE IF NOT EXISTS ${BRONZE_DB}.tweets_rejected (
  reason          STRING  COMMENT 'invalid_json, not_a_tweet, unsupported_format, missing_id, bad_id_type, bad_id, missing_user, missing_created_at, bad_created_at, bad_type',
  detail          STRING  COMMENT 'one line naming the field and JSON type at fault (no user content)',
  tweet_id        STRING  COMMENT 'the tweet id when one could be read',
  payload_bytes   INT     COMMENT 'size of the raw record',
  ingest_hour     STRING,
  source_file     STRING  COMMENT 'raw file name <topic>+<partition>+<first>+<last>.jsonl',
  kafka_partition INT,
  kafka_offset    BIGINT  COMMENT 'Kafka offset = line of the record in raw'
)
COMMENT 'Raw records bronze could not type, with the reason. Answers: what was left out of bronze and why'
PARTITIONED BY (ingest_date STRING COMMENT 'raw partition of the record')
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
