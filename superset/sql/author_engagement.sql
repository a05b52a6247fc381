-- One row per tweet with its author as they were then (SCD2 version) and its place: the "top
-- authors by engagement tier" table. Authors appear only as their pseudonymous key (bronze's keyed
-- hash), never as a handle.
SELECT f.created_date, f.lang, p.country, a.author_key, a.author_tier, f.engagement
FROM hive.gold.fact_tweets f
JOIN hive.gold.dim_authors a ON a.author_sk = f.author_sk
JOIN hive.gold.dim_places p ON p.place_key = f.place_key
