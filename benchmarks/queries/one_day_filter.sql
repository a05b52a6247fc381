-- Access pattern: one-day filter. One day out of thirty on the partition key
-- created_date: what partitioning by day is for (partition pruning).
SELECT tweet_type, count(*) AS tweets, sum(like_count) AS likes
FROM ${catalog}.${schema}.tweets
WHERE created_date = DATE '${day}'
GROUP BY tweet_type
ORDER BY tweet_type
