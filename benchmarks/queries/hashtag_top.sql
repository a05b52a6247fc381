-- Access pattern: hashtag top-N. Unnests an array column over every row and
-- ranks the groups: a wide aggregation over a nested column.
SELECT tag, count(*) AS tweets
FROM ${catalog}.${schema}.tweets
CROSS JOIN UNNEST(hashtags) AS h (tag)
GROUP BY tag
ORDER BY tweets DESC, tag
LIMIT 10
