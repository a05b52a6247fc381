-- required columns are set: tweet_id, created_at, author_key, author_tier, flags, engagement, sentiment, hashtags
SELECT count(*) AS observed, 0 AS expected
FROM hive.${SILVER_DB}.tweets
WHERE created_date IN (${CREATED_DATES})
  AND (tweet_id IS NULL OR created_at IS NULL OR author_key IS NULL OR is_retweet IS NULL OR is_reply IS NULL
       OR is_quote IS NULL OR engagement IS NULL OR sentiment_score IS NULL OR sentiment_label IS NULL
       OR hashtags IS NULL)
