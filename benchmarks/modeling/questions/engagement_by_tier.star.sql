-- Engagement by author tier, from the star schema: the fact joined with the author version
-- valid when each tweet was posted (SCD2).
SELECT a.author_tier, count(*) AS tweets, sum(f.like_count) AS likes
FROM hive.${GOLD_DB}.fact_tweets f JOIN hive.${GOLD_DB}.dim_authors a ON f.author_sk = a.author_sk
GROUP BY 1 ORDER BY 1
