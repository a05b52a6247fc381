-- engine: trino
-- The events `make comply` still has to apply: acting kinds without applied_at.
-- Parameters: OPS_DB, ACTING ('delete', 'user_delete', ...).
SELECT event_id, kind, tweet_id, author_key, received_date
FROM hive.${OPS_DB}.compliance_events
WHERE applied_at IS NULL AND kind IN (${ACTING})
ORDER BY event_id
