-- Mean sentiment by country (raw JSON cannot answer this: no sentiment, and the country of most
-- tweets is only in the author's free-text location).
SELECT p.country, count(*) AS tweets, round(avg(f.sentiment_score), 3) AS avg_sentiment
FROM hive.${GOLD_DB}.fact_tweets f JOIN hive.${GOLD_DB}.dim_places p ON f.place_key = p.place_key
GROUP BY 1 ORDER BY 2 DESC LIMIT 10
