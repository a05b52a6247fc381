-- Access pattern: full-scan aggregate. Reads every row but only three columns
-- (lang, like_count, retweet_count): what columnar formats and codecs are for.
SELECT lang, count(*) AS tweets, sum(like_count) AS likes, max(retweet_count) AS max_retweets
FROM ${catalog}.${schema}.tweets
GROUP BY lang
ORDER BY lang
