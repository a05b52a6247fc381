-- The most used hashtags in the raw zone (v2 payloads: entities.hashtags[].tag).
SELECT lower(json_extract_scalar(tag, '$.tag')) AS hashtag, count(*) AS tweets
FROM hive.raw.tweets
CROSS JOIN UNNEST(CAST(json_extract(json, '$.entities.hashtags') AS array(json))) AS t(tag)
GROUP BY 1
ORDER BY tweets DESC
LIMIT 10
