-- Where is the brand talked about most, and how do people there feel? (top 5 resolved countries)
SELECT coalesce(country_name, country) AS country, sum(tweets) AS tweets,
       round(sum(avg_sentiment * tweets) / sum(tweets), 3) AS mean_sentiment
FROM hive.gold.mart_sentiment_daily_country
WHERE country IS NOT NULL
GROUP BY 1
ORDER BY tweets DESC
LIMIT 5
