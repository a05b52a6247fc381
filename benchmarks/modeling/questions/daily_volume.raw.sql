-- Tweets and engagement per day, from the raw JSON (flat v2 records, as the synthetic firehose and
-- twarc's flattened files write them; v1.1 would need another branch of every expression). Raw holds
-- every copy Kafka delivered, so re-ingested tweets count twice: the answer is also wrong.
SELECT substr(json_extract_scalar(json, '$.created_at'), 1, 10) AS day,
       count(*) AS tweets,
       sum(coalesce(CAST(json_extract_scalar(json, '$.public_metrics.like_count') AS bigint), 0)
         + coalesce(CAST(json_extract_scalar(json, '$.public_metrics.retweet_count') AS bigint), 0)
         + coalesce(CAST(json_extract_scalar(json, '$.public_metrics.reply_count') AS bigint), 0)
         + coalesce(CAST(json_extract_scalar(json, '$.public_metrics.quote_count') AS bigint), 0)) AS engagement
FROM hive.${RAW_DB}.tweets
WHERE json_extract_scalar(json, '$.author_id') IS NOT NULL
GROUP BY 1 ORDER BY 1
