-- engine: trino
-- Drops one day of <speed>.compliance_pending (a whole-partition delete: Trino removes the partition and
-- its files); pending_prunable.sql chose it.
-- Parameters: SPEED_DB, PENDING_TABLE, RECEIVED_DATE.
DELETE FROM hive.${SPEED_DB}.${PENDING_TABLE} WHERE received_date = '${RECEIVED_DATE}'
