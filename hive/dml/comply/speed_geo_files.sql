-- engine: trino
-- The speed.tweets files holding a location a scrub_geo event removes (rewritten like speed_files.sql).
-- Parameters: SPEED_DB, SCRUBS: (author_key, up_to_tweet_id) typed SQL literals.
SELECT DISTINCT t."$path" FROM hive.${SPEED_DB}.tweets t
JOIN (VALUES ${SCRUBS}) AS s(author_key, up_to) ON t.author_key = s.author_key AND t.tweet_id <= s.up_to
WHERE t.place_id IS NOT NULL OR t.geo_lat IS NOT NULL OR t.geo_lon IS NOT NULL
