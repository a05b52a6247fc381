-- bronze.tweets: one typed, deduplicated, pseudonymized row per tweet, from v1.1 and v2 payloads alike.
-- Answers: "which tweets exist, when, in what language, by which (pseudonymous) author, with which
-- hashtags, where?" -- the base of silver and gold, safe to query: no user id, handle, display name,
-- e-mail or phone number in clear (spark/transforms/classification.yaml).
-- Written only by spark/jobs/build_bronze.py, which overwrites whole created_date partitions.
-- Parameters: BRONZE_DB (bronze; tests use their own schema).
CREATE DATABASE IF NOT EXISTS ${BRONZE_DB}
  COMMENT 'Bronze: raw payloads typed, deduplicated and pseudonymized';

CREATE TABLE IF NOT EXISTS ${BRONZE_DB}.tweets (
  tweet_id               BIGINT         COMMENT 'tweet id (v1 id_str, v2 id); unique in the table',
  created_at             TIMESTAMP      COMMENT 'when the tweet was posted, UTC',
  text                   STRING         COMMENT 'full text (extended_tweet/full_text/note_tweet; retweets rebuilt as RT @h_..: original); e-mails, phones masked, @handles pseudonymized',
  lang                   STRING         COMMENT 'language code from the platform (und = undetermined); NULL when the payload has none',
  author_key             STRING         COMMENT 'u_ + keyed hash of the author user id',
  author_handle_key      STRING         COMMENT 'h_ + keyed hash of the lower-cased author handle (same token as @mentions in text)',
  author_location        STRING         COMMENT 'self-declared location as typed, masked like text',
  author_verified        BOOLEAN        COMMENT 'verified badge at ingest time',
  author_followers_count BIGINT         COMMENT 'author followers at ingest time',
  author_following_count BIGINT         COMMENT 'accounts the author follows at ingest time',
  author_tweet_count     BIGINT         COMMENT 'author tweets at ingest time',
  author_listed_count    BIGINT         COMMENT 'lists the author is on at ingest time',
  tweet_type             STRING         COMMENT 'original | retweet | reply | quote (a reply that quotes is a reply)',
  conversation_id        BIGINT         COMMENT 'thread root tweet id (v2 only)',
  reply_to_tweet_id      BIGINT         COMMENT 'tweet replied to',
  reply_to_user_key      STRING         COMMENT 'u_ key of the user replied to',
  retweeted_tweet_id     BIGINT         COMMENT 'tweet retweeted',
  retweeted_author_key   STRING         COMMENT 'u_ key of the retweeted author',
  quoted_tweet_id        BIGINT         COMMENT 'tweet quoted',
  quoted_author_key      STRING         COMMENT 'u_ key of the quoted author',
  retweet_count          BIGINT         COMMENT 'public metrics as seen at ingest time',
  reply_count            BIGINT,
  like_count             BIGINT         COMMENT 'v1 favorite_count',
  quote_count            BIGINT,
  impression_count       BIGINT         COMMENT 'v2 only',
  hashtags               ARRAY<STRING>  COMMENT 'distinct hashtags of the full text, lower-case, without #',
  cashtags               ARRAY<STRING>  COMMENT 'distinct cashtags, upper-case, without $',
  mentions               ARRAY<STRUCT<user_key:STRING, handle_key:STRING>> COMMENT 'mentioned users, pseudonymized',
  urls                   ARRAY<STRUCT<url:STRING, expanded_url:STRING>>    COMMENT 't.co link and its target (handles in twitter.com links pseudonymized)',
  place_id               STRING         COMMENT 'platform place id (city/POI)',
  place_name             STRING,
  place_full_name        STRING,
  place_type             STRING         COMMENT 'city, admin, country, poi, neighborhood',
  country                STRING         COMMENT 'ISO 3166-1 alpha-2 code of the place, upper-case',
  country_name           STRING         COMMENT 'country name as the API gave it (may be localized)',
  place_bbox             ARRAY<DOUBLE>  COMMENT 'place bounding box [west, south, east, north]',
  geo_lat                DOUBLE         COMMENT 'exact point rounded to 2 decimals (~1.1 km)',
  geo_lon                DOUBLE         COMMENT 'exact point rounded to 2 decimals (~1.1 km)',
  source                 STRING         COMMENT 'client app (Twitter for iPhone)',
  possibly_sensitive     BOOLEAN,
  source_format          STRING         COMMENT 'v1 (API v1.1) or v2',
  ingest_date            STRING         COMMENT 'raw partition the kept record came from',
  ingest_hour            STRING,
  source_file            STRING         COMMENT 'raw file name <topic>+<partition>+<first>+<last>.jsonl',
  kafka_partition        INT,
  kafka_offset           BIGINT         COMMENT 'Kafka offset of the kept record (file first offset + line)',
  edit_root_id           BIGINT         COMMENT 'edit chain key: first id of v2 edit_history_tweet_ids (the original tweet), else tweet_id; NULL in rows built before the column',
  edit_version           INT            COMMENT 'place of this version in its edit history, 0 = the original (every version is its own row)',
  edit_versions          INT            COMMENT 'versions the payload edit history lists (1 = never edited as of this payload)'
)
COMMENT 'One row per tweet (dedup by tweet_id, latest ingest wins), pseudonymized. Answers: which tweets, when, by whom (pseudonymous), about what, where'
PARTITIONED BY (created_date DATE COMMENT 'UTC date of created_at')
STORED AS ORC
TBLPROPERTIES ('orc.compress'='ZSTD');
