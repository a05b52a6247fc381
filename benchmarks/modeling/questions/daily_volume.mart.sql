-- Tweets and engagement per day, from a mart (pre-aggregated per day and tier).
SELECT created_date AS day, sum(tweets) AS tweets, sum(engagement) AS engagement
FROM hive.${GOLD_DB}.mart_engagement_by_tier GROUP BY 1 ORDER BY 1
