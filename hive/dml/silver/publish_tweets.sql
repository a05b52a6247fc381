-- Publishes silver.tweets_stage (Spark's output) into silver.tweets, bucketed by author_key and
-- sorted by created_at as the table declares: Trino writes the Hive-hash buckets it and Hive trust.
-- lake/pipeline/build.py runs it with hive.insert_existing_partitions_behavior = OVERWRITE, so exactly the
-- created_date partitions listed are replaced and a rerun gives the same table.
INSERT INTO hive.${SILVER_DB}.tweets
SELECT * FROM hive.${SILVER_DB}.tweets_stage WHERE created_date IN (${CREATED_DATES})
