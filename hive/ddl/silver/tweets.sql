-- engine: trino
-- silver.tweets: one cleaned, enriched row per tweet (deduplicated in bronze; of an edited tweet, only its
-- latest version, with edit_count: spark/transforms/edits.py). Answers: "what was
-- said about us, by whom (pseudonymous), where, and in what mood?" -- the table analysts and the
-- gold layer read. Key columns are bronze's (tweet_id, created_at, text, lang, author_key,
-- hashtags, country); hashtags are normalized and country is resolved (place, else user location).
-- Layout: partitioned by created_date (one-day questions read one folder), bucketed by
-- author_key into SILVER_BUCKETS buckets with Hive's bucketing_version 1 (Hive hash, the hash
-- Trino and Hive both compute; an author lookup reads one bucket file per day), and sorted by
-- created_at inside each file (ORC min/max stats then skip stripes for time ranges).
-- Written by Trino (lake/pipeline/build.py publishes silver.tweets_stage): Spark cannot write Hive-hash
-- buckets that Trino trusts. Spark, Beeline and PyHive read it as an ordinary partitioned table.
-- Parameters: SILVER_DB, SILVER_BUCKETS.
CREATE TABLE IF NOT EXISTS hive.${SILVER_DB}.tweets (
  tweet_id               bigint         COMMENT 'tweet id; unique in the table',
  created_at             timestamp(3)   COMMENT 'when the tweet was posted, UTC',
  text                   varchar        COMMENT 'full text; e-mails and phones masked, @handles pseudonymized',
  lang                   varchar        COMMENT 'platform language code (und = undetermined)',
  author_key             varchar        COMMENT 'pseudonymous author (u_ + keyed hash of the user id); bucket key',
  author_handle_key      varchar        COMMENT 'pseudonymous handle (h_ + keyed hash)',
  author_location        varchar        COMMENT 'self-declared location, masked like text',
  author_verified        boolean,
  author_followers_count bigint,
  author_following_count bigint,
  author_tweet_count     bigint,
  author_tier            varchar        COMMENT 'followers band: nano <1k, micro <10k, mid <100k, macro <1M, mega',
  tweet_type             varchar        COMMENT 'original | retweet | reply | quote',
  conversation_id        bigint,
  reply_to_tweet_id      bigint,
  retweeted_tweet_id     bigint,
  quoted_tweet_id        bigint,
  is_retweet             boolean,
  is_reply               boolean,
  is_quote               boolean        COMMENT 'quotes another tweet (also true for a reply that quotes)',
  retweet_count          bigint,
  reply_count            bigint,
  like_count             bigint,
  quote_count            bigint,
  impression_count       bigint         COMMENT 'v2 only',
  engagement             bigint         COMMENT 'retweets + replies + likes + quotes',
  hashtags               array(varchar) COMMENT 'distinct hashtags: NFKC, accents folded, case-folded, no #',
  mention_count          integer,
  url_count              integer,
  place_id               varchar,
  place_name             varchar,
  place_full_name        varchar,
  place_type             varchar,
  country                varchar        COMMENT 'ISO 3166-1 alpha-2, from the place, else the user location',
  region                 varchar        COMMENT 'city or region, same sources',
  country_source         varchar        COMMENT 'place | user_location | NULL (unresolved)',
  geo_lat                double,
  geo_lon                double,
  sentiment_score        double         COMMENT 'compound score in [-1, 1] (spark/enrich/sentiment.py, pt/es/en)',
  sentiment_label        varchar        COMMENT 'negative | neutral | positive',
  source_format          varchar        COMMENT 'v1 or v2 payload',
  ingest_date            varchar        COMMENT 'lineage: raw partition of the kept record',
  ingest_hour            varchar,
  source_file            varchar,
  kafka_partition        integer,
  kafka_offset           bigint,
  edit_root_id           bigint         COMMENT 'edit chain key (first version id); silver keeps only the chain latest version',
  edit_count             integer        COMMENT 'edits of the tweet: versions in X edit history (or held, if more) - 1; 0 = never edited',
  created_date           date           COMMENT 'UTC date of created_at (partition)'
)
COMMENT 'One enriched row per tweet. Answers: what was said, by whom (pseudonymous), where, in what mood'
WITH (
  format = 'ORC',
  partitioned_by = ARRAY['created_date'],
  bucketed_by = ARRAY['author_key'],
  bucket_count = ${SILVER_BUCKETS},
  bucketing_version = 1,
  sorted_by = ARRAY['created_at']
);
