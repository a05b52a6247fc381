-- Tweets and engagement per day, from the star schema: the fact joined with the calendar.
SELECT d.full_date AS day, count(*) AS tweets, sum(f.engagement) AS engagement
FROM hive.${GOLD_DB}.fact_tweets f JOIN hive.${GOLD_DB}.dim_dates d ON f.date_key = d.date_key
GROUP BY 1 ORDER BY 1
