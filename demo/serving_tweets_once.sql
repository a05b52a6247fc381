-- serving.tweets: batch and speed layers merged, each tweet once (docs/serving.md)
SELECT served_from, count(*) AS rows_served, count(DISTINCT tweet_id) AS distinct_tweets,
       max(created_at) AS newest_created_at
FROM hive.serving.tweets
GROUP BY ROLLUP (served_from)
ORDER BY served_from NULLS LAST
