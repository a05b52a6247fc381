-- Dimension for the join query: one row per author of the base table, with a follower tier.
-- Built once per scale in the base schema (Parquet, so every engine can read it).
CREATE TABLE IF NOT EXISTS ${catalog}.${base}.dim_authors WITH (format = 'PARQUET') AS
SELECT author_key,
       CASE WHEN max(author_followers_count) >= 10000 THEN 'large'
            WHEN max(author_followers_count) >= 1000 THEN 'medium'
            ELSE 'small' END AS tier,
       bool_or(author_verified) AS verified
FROM ${catalog}.${base}.tweets
GROUP BY author_key
