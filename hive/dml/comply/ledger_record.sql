-- engine: trino
-- Records compliance events just consumed from tweets.compliance (lake/pipeline/comply.py), before
-- their offsets are committed. An event already in the ledger (consumed again after a crash between
-- this insert and the commit) is not recorded twice.
-- Parameters: OPS_DB, ROWS: (event_id, kind, tweet_id, author_key, up_to_tweet_id, event_at,
-- source_format, received_at, received_date), typed SQL literals.
INSERT INTO hive.${OPS_DB}.compliance_events
SELECT e.event_id, e.kind, e.tweet_id, e.author_key, e.up_to_tweet_id, e.event_at, e.source_format, e.received_at,
       CAST(NULL AS timestamp(3)), CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint),
       CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint), e.received_date
FROM (VALUES ${ROWS}) AS e(event_id, kind, tweet_id, author_key, up_to_tweet_id, event_at, source_format,
                           received_at, received_date)
WHERE e.event_id NOT IN (SELECT event_id FROM hive.${OPS_DB}.compliance_events)
