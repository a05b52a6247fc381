-- silver.tweets has exactly bronze's rows for the partitions built (enrichment drops nothing), less the
-- older versions of edited tweets: of each edit chain (edit_root_id) only the highest tweet id stays
SELECT
  (SELECT count(*) FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${CREATED_DATES})) AS observed,
  (SELECT count(*) FROM hive.${BRONZE_DB}.tweets b
     LEFT JOIN (SELECT edit_root_id, max(tweet_id) AS latest FROM hive.${BRONZE_DB}.tweets
                WHERE edit_versions > 1 OR edit_root_id <> tweet_id GROUP BY edit_root_id) c
       ON c.edit_root_id = b.edit_root_id
   WHERE b.created_date IN (${CREATED_DATES}) AND (c.latest IS NULL OR b.tweet_id = c.latest)) AS expected
