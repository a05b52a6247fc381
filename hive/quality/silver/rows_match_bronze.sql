-- silver.tweets has exactly bronze's rows for the partitions built (enrichment drops nothing), less the
-- older versions of edited tweets: a version bronze holds a newer one of (higher id, same edit_root_id)
SELECT
  (SELECT count(*) FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${CREATED_DATES})) AS observed,
  (SELECT count(*) FROM hive.${BRONZE_DB}.tweets b WHERE b.created_date IN (${CREATED_DATES})
     AND NOT EXISTS (SELECT 1 FROM hive.${BRONZE_DB}.tweets n
                     WHERE n.edit_root_id = coalesce(b.edit_root_id, b.tweet_id) AND n.tweet_id > b.tweet_id)) AS expected
