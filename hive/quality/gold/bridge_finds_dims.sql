-- every bridge row finds its hashtag in dim_hashtags and its tweet in fact_tweets
SELECT count(*) AS observed, 0 AS expected
FROM hive.${GOLD_DB}.bridge_tweet_hashtags b
LEFT JOIN hive.${GOLD_DB}.dim_hashtags h ON b.hashtag_key = h.hashtag_key
LEFT JOIN (SELECT tweet_id FROM hive.${GOLD_DB}.fact_tweets WHERE created_date IN (${CREATED_DATES})) f
  ON b.tweet_id = f.tweet_id
WHERE b.created_date IN (${CREATED_DATES}) AND (h.hashtag_key IS NULL OR f.tweet_id IS NULL)
