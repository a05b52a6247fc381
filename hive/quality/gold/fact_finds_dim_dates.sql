-- every fact row finds its day in dim_dates
SELECT count(*) AS observed, 0 AS expected
FROM hive.${GOLD_DB}.fact_tweets f LEFT JOIN hive.${GOLD_DB}.dim_dates d ON f.date_key = d.date_key
WHERE f.created_date IN (${CREATED_DATES}) AND d.date_key IS NULL
