-- engine: trino
-- The raw ingest dates whose bronze rows still hold a location a scrub_geo event removes: rebuilt
-- with the others (affected_ingest_dates.sql).
-- Parameters: BRONZE_DB, SCRUBS: (author_key, up_to_tweet_id) typed SQL literals.
SELECT DISTINCT t.ingest_date FROM hive.${BRONZE_DB}.tweets t
JOIN (VALUES ${SCRUBS}) AS s(author_key, up_to) ON t.author_key = s.author_key AND t.tweet_id <= s.up_to
WHERE t.place_id IS NOT NULL OR t.geo_lat IS NOT NULL OR t.geo_lon IS NOT NULL
