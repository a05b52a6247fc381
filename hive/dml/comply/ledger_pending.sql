-- engine: trino
-- The events `make comply` still has to apply: applied kinds (removals, scrub_geo) without applied_at.
-- Parameters: OPS_DB, APPLIED_KINDS ('delete', 'user_delete', ...).
SELECT event_id, kind, tweet_id, author_key, up_to_tweet_id, received_date
FROM hive.${OPS_DB}.compliance_events
WHERE applied_at IS NULL AND kind IN (${APPLIED_KINDS})
ORDER BY event_id
