-- Removes silver.tweets partitions bronze no longer has rows for (whole-partition delete in Trino).
DELETE FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${EMPTIED_DATES})
