-- engine: trino
-- Where `make comply` finds the raw records to redact or scrub, from what bronze loaded: the file, id and
-- Kafka offset (= line) of every bronze row of a removed tweet or author, or whose location a scrub_geo
-- event removes, and of every reject naming a removed tweet; and every file holding duplicates, without
-- an offset (bronze keeps one row of a tweet: its other copies sit there under the same id, at lines
-- bronze does not record). In a file without duplicates every line is a row or a reject, so those
-- offsets are all the lines to look at; a file with duplicates is scanned for the ids. Raw files bronze
-- has not loaded (pending) comply reads whole.
-- Parameters: BRONZE_DB, TWEET_IDS, TWEET_ID_STRINGS, AUTHOR_KEYS, SCRUBS: (author_key, up_to_tweet_id).
SELECT ingest_date, source_file, tweet_id, kafka_offset FROM hive.${BRONZE_DB}.tweets
WHERE tweet_id IN (${TWEET_IDS}) OR author_key IN (${AUTHOR_KEYS})
UNION ALL
SELECT t.ingest_date, t.source_file, t.tweet_id, t.kafka_offset FROM hive.${BRONZE_DB}.tweets t
JOIN (VALUES ${SCRUBS}) AS s(author_key, up_to) ON t.author_key = s.author_key AND t.tweet_id <= s.up_to
WHERE t.place_id IS NOT NULL OR t.geo_lat IS NOT NULL OR t.geo_lon IS NOT NULL
UNION ALL
SELECT ingest_date, source_file, try_cast(tweet_id AS bigint), kafka_offset FROM hive.${BRONZE_DB}.tweets_rejected
WHERE tweet_id IN (${TWEET_ID_STRINGS})
UNION ALL
SELECT ingest_date, source_file, CAST(NULL AS bigint), CAST(NULL AS bigint) FROM hive.${BRONZE_DB}.tweets_loaded_files
WHERE duplicates > 0
