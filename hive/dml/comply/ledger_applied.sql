-- engine: trino
-- Marks events applied, with the rows removed per layer: rewrites their received_date partitions
-- (session hive.insert_existing_partitions_behavior=OVERWRITE), every other row as it was.
-- Parameters: OPS_DB, RECEIVED_DATES (DATE literals), APPLIED: (event_id, applied_at, raw_records,
-- bronze_rows, rejected_rows, silver_rows, gold_fact_rows, speed_rows), typed SQL literals.
INSERT INTO hive.${OPS_DB}.compliance_events
SELECT l.event_id, l.kind, l.tweet_id, l.author_key, l.up_to_tweet_id, l.event_at, l.source_format, l.received_at,
       coalesce(a.applied_at, l.applied_at),
       coalesce(a.raw_records, l.raw_records), coalesce(a.bronze_rows, l.bronze_rows),
       coalesce(a.rejected_rows, l.rejected_rows), coalesce(a.silver_rows, l.silver_rows),
       coalesce(a.gold_fact_rows, l.gold_fact_rows), coalesce(a.speed_rows, l.speed_rows),
       l.received_date
FROM hive.${OPS_DB}.compliance_events l
LEFT JOIN (VALUES ${APPLIED}) AS a(event_id, applied_at, raw_records, bronze_rows, rejected_rows, silver_rows,
                                   gold_fact_rows, speed_rows)
  ON a.event_id = l.event_id
WHERE l.received_date IN (${RECEIVED_DATES})
