-- engine: trino
-- Speed-layer partitions the retention step may drop: closed days (before the newest day the stream
-- has written, and before today UTC) that a batch build has covered (ops.batch_watermarks), from which serving.tweets serves no row any more -- every row in
-- them is covered by the batch watermark, its tweet (or a newer version of its edit chain) is in silver,
-- or a later speed row of the same tweet or edit chain is the one served; a silver row is hidden only by
-- its chain's newest speed row, which is served (docs/serving.md). Dropping them changes no answer of serving.tweets.
-- Parameters: SPEED_DB, SERVING_DB, OPS_DB.
SELECT DISTINCT s.ingest_date
FROM hive.${SPEED_DB}.tweets s
WHERE s.ingest_date < (SELECT max(ingest_date) FROM hive.${SPEED_DB}.tweets)
  AND s.ingest_date < CAST(CAST(current_timestamp AT TIME ZONE 'UTC' AS date) AS varchar)
  AND s.ingest_date IN (SELECT DISTINCT ingest_date FROM hive.${OPS_DB}.batch_watermarks)
  AND s.ingest_date NOT IN (SELECT DISTINCT ingest_date FROM hive.${SERVING_DB}.tweets WHERE served_from = 'speed')
ORDER BY 1;
