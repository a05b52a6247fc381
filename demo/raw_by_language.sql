-- What `make demo` landed, by language: one scan of the raw zone through Trino,
-- reading the JSON payload as it was received.
SELECT coalesce(json_extract_scalar(json, '$.lang'), json_extract_scalar(json, '$.data.lang')) AS lang,
       count(*) AS tweets
FROM hive.raw.tweets
GROUP BY 1
ORDER BY tweets DESC
LIMIT 10
