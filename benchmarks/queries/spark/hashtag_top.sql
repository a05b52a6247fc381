-- Access pattern: hashtag top-N (Spark SQL spelling of ../hashtag_top.sql:
-- LATERAL VIEW explode instead of CROSS JOIN UNNEST).
SELECT tag, count(*) AS tweets
FROM ${catalog}.${schema}.tweets
LATERAL VIEW explode(hashtags) h AS tag
GROUP BY tag
ORDER BY tweets DESC, tag
LIMIT 10
