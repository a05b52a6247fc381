-- How many tweets about the brand does the lake hold, over which days? (gold.fact_tweets)
SELECT count(*) AS tweets, count(DISTINCT created_date) AS days, min(created_date) AS first_day, max(created_date) AS last_day
FROM hive.gold.fact_tweets
