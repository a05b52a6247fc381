-- every fact row finds the author version that was valid when the tweet was posted
SELECT count(*) AS observed, 0 AS expected
FROM hive.${GOLD_DB}.fact_tweets f
LEFT JOIN hive.${GOLD_DB}.dim_authors a
  ON f.author_sk = a.author_sk AND f.created_at >= a.valid_from AND f.created_at < a.valid_to
WHERE f.created_date IN (${CREATED_DATES}) AND a.author_sk IS NULL
