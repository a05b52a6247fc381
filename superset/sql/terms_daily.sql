-- The word cloud's terms per day and language: gold's top words (mart_top_words) and the hashtags
-- tweets carry (the star: bridge -> fact for day and language, dim_hashtags for the spelling), as
-- '#tag'. The brand's own hashtags (is_brand) are left out: every tweet the lake follows is about
-- the brand, so they would fill the cloud and say nothing.
SELECT created_date, lang, word AS term, 'word' AS kind, occurrences
FROM hive.gold.mart_top_words
UNION ALL
SELECT f.created_date, f.lang, '#' || h.display_hashtag AS term, 'hashtag' AS kind, count(*) AS occurrences
FROM hive.gold.bridge_tweet_hashtags b
JOIN hive.gold.fact_tweets f ON f.tweet_id = b.tweet_id AND f.created_date = b.created_date
JOIN hive.gold.dim_hashtags h ON h.hashtag_key = b.hashtag_key
WHERE NOT h.is_brand
GROUP BY f.created_date, f.lang, h.display_hashtag
