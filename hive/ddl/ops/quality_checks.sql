-- ops.quality_checks: one row per data-quality gate evaluated by a build (lake/pipeline/quality.py).
-- Answers: "did the build of layer X for these partitions pass its gates, and with what figures?"
-- Appended, never rewritten: the history of every build's checks.
-- Parameters: OPS_DB.
CREATE DATABASE IF NOT EXISTS ${OPS_DB}
  COMMENT 'Operational tables: quality gates, batch watermarks';

CREATE TABLE IF NOT EXISTS ${OPS_DB}.quality_checks (
  run_id        STRING    COMMENT 'one id per build run (UTC timestamp + random suffix)',
  checked_at    TIMESTAMP COMMENT 'when the gate ran, UTC',
  layer         STRING    COMMENT 'bronze | silver | gold',
  check_name    STRING    COMMENT 'reconcile_counts, unique_tweet_id, not_null_<column>, fact_finds_<dim>, ...',
  target        STRING    COMMENT 'table checked',
  partitions    STRING    COMMENT 'the partitions the build owned (comma-separated)',
  passed        BOOLEAN,
  observed      BIGINT    COMMENT 'the figure the gate measured (e.g. offending rows)',
  expected      BIGINT    COMMENT 'what it had to be',
  detail        STRING    COMMENT 'one line for humans'
)
COMMENT 'Data-quality gate results of every build. Answers: did layer X pass its gates for these partitions'
PARTITIONED BY (check_date DATE COMMENT 'UTC date of checked_at')
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
