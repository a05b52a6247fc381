-- ops.compliance_events: the compliance ledger, one row per X compliance event the lake received.
-- Answers: "which deletions did we receive, when, when were they applied, and how many rows left each
-- layer?" -- what an auditor asks. Holds no tweet text and no raw user id: user events carry the
-- author_key bronze computes from the user id (spark/transforms/pii.py), tweet events the tweet id.
-- Written by lake/pipeline/comply.py (`make comply`): a row when the event is consumed from
-- tweets.compliance (applied_at NULL), rewritten with applied_at and the rows removed once applied
-- (a partition overwrite of its received_date). The bronze build reads it so that no rebuild or
-- re-ingest brings a removed tweet back (spark/jobs/build_bronze.py without_complied).
-- Parameters: OPS_DB.
CREATE DATABASE IF NOT EXISTS ${OPS_DB}
  COMMENT 'Operational tables: quality checks, batch watermarks, compliance ledger';

CREATE TABLE IF NOT EXISTS ${OPS_DB}.compliance_events (
  event_id        STRING    COMMENT '<topic>:<partition>:<offset> of the event in tweets.compliance; unique',
  kind            STRING    COMMENT 'delete | user_delete | user_protect | user_suspend | scrub_geo | user_undelete | user_unprotect | user_unsuspend',
  tweet_id        BIGINT    COMMENT 'the deleted tweet (delete)',
  author_key      STRING    COMMENT 'u_ key of the user (user events, scrub_geo): never the raw user id',
  up_to_tweet_id  BIGINT    COMMENT 'scrub_geo: tweets up to this id',
  event_at        TIMESTAMP COMMENT 'when X says the event happened (UTC)',
  source_format   STRING    COMMENT 'v2 (compliance stream) or v1 (v1.1 notice)',
  received_at     TIMESTAMP COMMENT 'when make comply consumed it (UTC)',
  applied_at      TIMESTAMP COMMENT 'when its rows were gone from every layer; NULL: pending, or recorded only (un-* kinds, scrub_geo)',
  raw_records     BIGINT    COMMENT 'raw zone lines replaced by a redaction line',
  bronze_rows     BIGINT    COMMENT 'rows removed from bronze.tweets',
  rejected_rows   BIGINT    COMMENT 'bronze.tweets_rejected rows that named the tweet',
  silver_rows     BIGINT    COMMENT 'rows removed from silver.tweets',
  gold_fact_rows  BIGINT    COMMENT 'rows removed from gold.fact_tweets (marts recomputed for their dates)',
  speed_rows      BIGINT    COMMENT 'rows removed from speed.tweets'
)
COMMENT 'Compliance ledger: event, received, applied, rows removed per layer; no tweet text, no raw user id'
PARTITIONED BY (received_date DATE COMMENT 'UTC date of received_at')
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
