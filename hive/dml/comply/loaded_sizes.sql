-- engine: trino
-- Each raw file bronze loaded, with its size then: a raw file not here, or of another size now, is
-- pending, and `make comply` reads every record of it.
-- Parameters: BRONZE_DB.
SELECT ingest_date, source_file, file_bytes FROM hive.${BRONZE_DB}.tweets_loaded_files
