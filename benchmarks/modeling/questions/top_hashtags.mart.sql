-- Top 10 hashtags, from the daily hashtag mart.
SELECT hashtag, sum(tweets) AS tweets FROM hive.${GOLD_DB}.mart_hashtag_daily
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
