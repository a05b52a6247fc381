-- an edited tweet has one row in silver.tweets, its latest version, whichever partitions its versions sit in
SELECT count(*) AS observed, 0 AS expected FROM (
  SELECT edit_root_id FROM hive.${SILVER_DB}.tweets
  WHERE edit_root_id IN (SELECT edit_root_id FROM hive.${SILVER_DB}.tweets WHERE created_date IN (${CREATED_DATES}))
  GROUP BY edit_root_id HAVING count(*) > 1)
