-- How the raw zone is laid out: rows and files per ingest partition.
SELECT ingest_date, ingest_hour, count(*) AS tweets, count(DISTINCT "$path") AS files
FROM hive.raw.tweets
GROUP BY 1, 2
ORDER BY 1 DESC, 2 DESC
LIMIT 10
