-- Access pattern: a join of the fact table with dimensions (authors and dates,
-- in the base schema): where table and column statistics steer join order and
-- distribution.
SELECT a.tier, d.is_weekend, count(*) AS tweets, sum(t.like_count) AS likes
FROM ${catalog}.${schema}.tweets t
JOIN ${catalog}.${base}.dim_authors a ON t.author_key = a.author_key
JOIN ${catalog}.${base}.dim_dates d ON t.created_date = d.date_key
GROUP BY a.tier, d.is_weekend
ORDER BY a.tier, d.is_weekend
