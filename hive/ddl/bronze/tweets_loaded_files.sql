-- bronze.tweets_loaded_files: one row per raw file build_bronze has loaded, with its counts.
-- Answers: "which raw files are in bronze, and does each reconcile (records = bronze rows +
-- duplicates + rejects)?" `--pending` loads the ingest dates with a raw file missing here
-- (new date, late file, or a file rewritten with a different size).
-- Counts are as of the load: a later ingest of the same tweet can supersede a kept row.
-- Parameters: BRONZE_DB.
CREATE DATABASE IF NOT EXISTS ${BRONZE_DB}
  COMMENT 'Bronze: raw payloads typed, deduplicated and pseudonymized';

CREATE TABLE IF NOT EXISTS ${BRONZE_DB}.tweets_loaded_files (
  source_file  STRING  COMMENT 'raw file name <topic>+<partition>+<first>+<last>.jsonl',
  file_bytes   BIGINT  COMMENT 'size when loaded',
  records      BIGINT  COMMENT 'lines in the file',
  bronze_rows  BIGINT  COMMENT 'records kept as the bronze row of their tweet',
  duplicates   BIGINT  COMMENT 'records of a tweet whose kept row is a later ingest',
  rejects      BIGINT  COMMENT 'records sent to tweets_rejected',
  created_dates STRING COMMENT 'comma-separated created_date partitions of bronze.tweets holding the kept rows of this file, where the next load of the date must look (NULL: loaded before the column existed)'
)
COMMENT 'Raw files loaded into bronze.tweets with per-file reconciliation. Answers: what is loaded, what is pending'
PARTITIONED BY (ingest_date STRING COMMENT 'raw partition of the file')
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
