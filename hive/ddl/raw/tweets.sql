-- raw.tweets: the raw zone as a table, one row per record the raw sink landed.
-- Answers: "what exactly did we receive, and when?" It is the only place with
-- unmasked data; analysts query bronze and above.
-- External: the files belong to the raw sink; dropping the table never deletes them.
-- New (ingest_date, ingest_hour) folders are added as partitions by the sink itself.
-- Parameters: RAW_DB (raw; tests use their own schema), RAW_ROOT (HDFS URI of /lake/raw/tweets).
CREATE DATABASE IF NOT EXISTS ${RAW_DB}
  COMMENT 'Raw zone: payloads exactly as received';

CREATE EXTERNAL TABLE IF NOT EXISTS ${RAW_DB}.tweets (
  json STRING COMMENT 'the payload unchanged: a Twitter API v1.1 or v2 tweet as JSON'
)
COMMENT 'One row per landed record; files named <topic>+<partition>+<first offset>+<last offset>.jsonl'
PARTITIONED BY (ingest_date STRING, ingest_hour STRING)
STORED AS TEXTFILE
LOCATION '${RAW_ROOT}';
