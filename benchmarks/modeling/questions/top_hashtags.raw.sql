-- Top 10 hashtags, from the raw JSON: unnest the entities of every record, lower-case by hand
-- (accents and full-width forms stay split), duplicates counted.
SELECT lower(json_extract_scalar(h, '$.tag')) AS hashtag, count(*) AS tweets
FROM hive.${RAW_DB}.tweets
CROSS JOIN UNNEST(CAST(json_extract(json, '$.entities.hashtags') AS array(json))) AS t(h)
WHERE json_extract_scalar(json, '$.author_id') IS NOT NULL
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
