-- Engagement by author follower tier, from the raw JSON: the tier rule re-typed in the query.
SELECT CASE WHEN f < 1000 THEN 'nano' WHEN f < 10000 THEN 'micro' WHEN f < 100000 THEN 'mid'
            WHEN f < 1000000 THEN 'macro' ELSE 'mega' END AS author_tier,
       count(*) AS tweets, sum(likes) AS likes
FROM (SELECT CAST(json_extract_scalar(json, '$.author.public_metrics.followers_count') AS bigint) AS f,
             coalesce(CAST(json_extract_scalar(json, '$.public_metrics.like_count') AS bigint), 0) AS likes
      FROM hive.${RAW_DB}.tweets WHERE json_extract_scalar(json, '$.author_id') IS NOT NULL)
GROUP BY 1 ORDER BY 1
