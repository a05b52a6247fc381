-- Access pattern: time-range scan on the sort key. One hour of created_at,
-- without a created_date predicate: what sorting files by created_at is for
-- (min/max statistics let the reader skip files, stripes and row groups).
SELECT count(*) AS tweets, sum(like_count) AS likes, count(DISTINCT author_key) AS authors
FROM ${catalog}.${schema}.tweets
WHERE created_at >= TIMESTAMP '${range_start}' AND created_at < TIMESTAMP '${range_end}'
