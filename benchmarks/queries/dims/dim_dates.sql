-- Dimension for the join query: one row per day of the base table.
CREATE TABLE IF NOT EXISTS ${catalog}.${base}.dim_dates WITH (format = 'PARQUET') AS
SELECT DISTINCT created_date AS date_key,
       day_of_week(created_date) AS day_of_week,
       day_of_week(created_date) IN (6, 7) AS is_weekend
FROM ${catalog}.${base}.tweets
