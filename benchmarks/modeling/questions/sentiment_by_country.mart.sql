-- Mean sentiment by country, from the daily mart (weighted by tweets).
SELECT country, sum(tweets) AS tweets, round(sum(avg_sentiment * tweets) / sum(tweets), 3) AS avg_sentiment
FROM hive.${GOLD_DB}.mart_sentiment_daily_country GROUP BY 1 ORDER BY 2 DESC LIMIT 10
