-- Top 10 hashtags, from the star schema: the bridge joined with the hashtag dimension.
SELECT h.hashtag, count(*) AS tweets
FROM hive.${GOLD_DB}.bridge_tweet_hashtags b JOIN hive.${GOLD_DB}.dim_hashtags h ON b.hashtag_key = h.hashtag_key
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
