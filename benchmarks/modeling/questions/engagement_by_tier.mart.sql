-- Engagement by author tier, from the tier mart.
SELECT author_tier, sum(tweets) AS tweets, sum(likes) AS likes
FROM hive.${GOLD_DB}.mart_engagement_by_tier GROUP BY 1 ORDER BY 1
