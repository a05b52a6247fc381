-- gold.dim_places: resolved geography, one row per (country, region), plus the "unknown" member.
-- Answers: "where are the people talking about us?" (country from the tweet's place, else from
-- the author's declared location). place_key 0 is "unknown", so every fact row finds a place.
-- Rebuilt whole by spark/jobs/build_gold.py. Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.dim_places (
  place_key     BIGINT  COMMENT 'xxhash64(country, region); 0 = unknown',
  country       STRING  COMMENT 'ISO 3166-1 alpha-2; NULL for unknown',
  country_name  STRING  COMMENT 'English short name (pycountry)',
  region        STRING  COMMENT 'city or region; NULL when only the country is known',
  tweets        BIGINT  COMMENT 'tweets placed here (all dates)'
)
COMMENT 'Places (country, region). Answers: where the conversation happens'
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
