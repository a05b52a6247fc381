-- How do people feel about the brand? Share of positive, neutral and negative tweets and the mean score (gold.mart_sentiment_daily_country)
SELECT round(100.0 * sum(positive) / sum(tweets), 1) AS positive_pct,
       round(100.0 * sum(neutral) / sum(tweets), 1) AS neutral_pct,
       round(100.0 * sum(negative) / sum(tweets), 1) AS negative_pct,
       round(sum(avg_sentiment * tweets) / sum(tweets), 3) AS mean_sentiment
FROM hive.gold.mart_sentiment_daily_country
