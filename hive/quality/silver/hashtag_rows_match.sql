-- silver.tweet_hashtags has one row per (tweet, hashtag) of silver.tweets
SELECT
  (SELECT count(*) FROM hive.${SILVER_DB}.tweet_hashtags WHERE created_date IN (${CREATED_DATES})) AS observed,
  (SELECT coalesce(sum(cardinality(hashtags)), 0) FROM hive.${SILVER_DB}.tweets
    WHERE created_date IN (${CREATED_DATES})) AS expected
