-- gold.dim_authors: pseudonymous authors as slowly changing dimension type 2.
-- Answers: "what did the author look like when they tweeted?" (reach tier, verified badge,
-- declared location at tweet time, not today). A new version starts when the follower tier,
-- the verified flag or the location changes; exact follower counts move with nearly every tweet,
-- so versioning on them would make one version per tweet (docs/modeling.md, "SCD2").
-- Rebuilt whole from silver by spark/jobs/build_gold.py: deterministic keys make reruns equal.
-- Parameters: GOLD_DB.
CREATE DATABASE IF NOT EXISTS ${GOLD_DB}
  COMMENT 'Gold: star schema (fact_tweets + dimensions) and marts for the business questions';

CREATE TABLE IF NOT EXISTS ${GOLD_DB}.dim_authors (
  author_sk        BIGINT    COMMENT 'surrogate key of this version: xxhash64(author_key, valid_from)',
  author_key       STRING    COMMENT 'pseudonymous author (natural key, same as silver)',
  author_handle_key STRING   COMMENT 'pseudonymous handle at the time of the version',
  version          INT       COMMENT '1 = first version seen',
  author_tier      STRING    COMMENT 'tracked (type 2): followers band nano/micro/mid/macro/mega',
  verified         BOOLEAN   COMMENT 'tracked (type 2)',
  location         STRING    COMMENT 'tracked (type 2): self-declared location (masked)',
  location_country STRING    COMMENT 'ISO country resolved from location',
  followers_count  BIGINT    COMMENT 'followers at the first tweet of the version',
  valid_from       TIMESTAMP COMMENT 'first tweet of this version (inclusive)',
  valid_to         TIMESTAMP COMMENT 'first tweet of the next version (exclusive); 9999-12-31 when current',
  is_current       BOOLEAN
)
COMMENT 'Authors, SCD type 2 on follower tier, verified flag and location. Answers: who tweeted, as they were then'
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
