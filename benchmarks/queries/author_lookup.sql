-- Access pattern: point lookup by author. Everything one (pseudonymous) author
-- posted: what bucketing by author_key is for (bucket pruning).
SELECT count(*) AS tweets, sum(like_count) AS likes, min(created_at) AS first_tweet, max(created_at) AS last_tweet
FROM ${catalog}.${schema}.tweets
WHERE author_key = '${author_key}'
