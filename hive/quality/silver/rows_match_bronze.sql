-- silver.tweets has exactly bronze's rows for the partitions built (enrichment drops nothing)
SELECT
  (SELECT count(*) FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${CREATED_DATES})) AS observed,
  (SELECT count(*) FROM hive.${BRONZE_DB}.tweets WHERE created_date IN (${CREATED_DATES})) AS expected
