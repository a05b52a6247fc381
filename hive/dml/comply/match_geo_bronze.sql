-- engine: trino
-- bronze rows whose location a scrub_geo event removes (its author, tweet ids up to the event's) and
-- that still have a place or a point, per (tweet_id, author_key); before and after `make comply`.
-- Parameters: BRONZE_DB, SCRUBS: (author_key, up_to_tweet_id) typed SQL literals.
SELECT t.tweet_id, t.author_key, count(*) FROM hive.${BRONZE_DB}.tweets t
JOIN (VALUES ${SCRUBS}) AS s(author_key, up_to) ON t.author_key = s.author_key AND t.tweet_id <= s.up_to
WHERE t.place_id IS NOT NULL OR t.geo_lat IS NOT NULL OR t.geo_lon IS NOT NULL
GROUP BY t.tweet_id, t.author_key
