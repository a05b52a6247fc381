-- speed.compliance_pending: the removals the speed layer read from tweets.compliance, before `make comply`
-- applies them. Answers: "which tweets and authors must serving.tweets hide now?" -- the serving view
-- leaves out every batch and speed row whose tweet_id or author_key is here, so a deleted tweet leaves
-- serving.tweets within one trigger of the event being read (docs/compliance.md "Within one trigger").
-- Holds no tweet text and no raw user id: a user event's id becomes the author_key bronze computes
-- (spark/transforms/pii.py user_key), a tweet delete keeps only the tweet id (its author id is dropped).
-- Only the acting kinds (delete, user_delete, user_protect, user_suspend); scrub_geo removes no row.
-- Written only by spark/jobs/stream_speed.py (b<batch id>-*.parquet per micro-batch, published by rename);
-- `make comply` drops the days whose every event the ledger records as applied (lake/pipeline/comply.py).
-- The table's name is lake.settings.SPEED_PENDING_TABLE.
-- Parameters: SPEED_DB.
CREATE DATABASE IF NOT EXISTS ${SPEED_DB}
  COMMENT 'Speed layer: tweets streamed from Kafka, not yet covered by the batch layer';

CREATE TABLE IF NOT EXISTS ${SPEED_DB}.compliance_pending (
  event_id    STRING    COMMENT '<topic>:<partition>:<offset> of the event in tweets.compliance (event_id of the ledger)',
  kind        STRING    COMMENT 'delete | user_delete | user_protect | user_suspend',
  tweet_id    BIGINT    COMMENT 'the deleted tweet (delete)',
  author_key  STRING    COMMENT 'u_ key of the removed user (user events): never the raw user id',
  event_at    TIMESTAMP COMMENT 'when X says the event happened (UTC)',
  received_at TIMESTAMP COMMENT 'when the speed layer read it (UTC)'
)
COMMENT 'Removals read by the speed layer from tweets.compliance; serving.tweets hides them until make comply applies them'
PARTITIONED BY (received_date STRING COMMENT 'UTC date of received_at')
STORED AS PARQUET
TBLPROPERTIES ('parquet.compression'='ZSTD');
