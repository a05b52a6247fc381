-- engine: trino
-- The days of <speed>.compliance_pending that `make comply` drops: every event in them is applied (the
-- ledger has its applied_at, so its rows are physically gone from every layer and every rebuild and the
-- stream filter against the ledger), and the day is closed (before yesterday UTC: the stream only ever
-- writes the current day, so it never adds a row to a day being dropped).
-- Parameters: SPEED_DB, OPS_DB, PENDING_TABLE.
SELECT p.received_date
FROM hive.${SPEED_DB}.${PENDING_TABLE} p
LEFT JOIN hive.${OPS_DB}.compliance_events l ON l.event_id = p.event_id AND l.applied_at IS NOT NULL
WHERE p.received_date < CAST(CAST(current_timestamp AT TIME ZONE 'UTC' AS date) - INTERVAL '1' DAY AS varchar)
GROUP BY p.received_date
HAVING count_if(l.event_id IS NULL) = 0
ORDER BY 1
