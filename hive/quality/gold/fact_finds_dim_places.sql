-- every fact row finds its place in dim_places (place_key 0 = unknown is a real row)
SELECT count(*) AS observed, 0 AS expected
FROM hive.${GOLD_DB}.fact_tweets f LEFT JOIN hive.${GOLD_DB}.dim_places p ON f.place_key = p.place_key
WHERE f.created_date IN (${CREATED_DATES}) AND p.place_key IS NULL
