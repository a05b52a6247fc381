-- What are people saying? The 10 most frequent words and hashtags (the dashboard's word cloud, superset/sql/terms_daily.sql)
SELECT term, kind, sum(occurrences) AS occurrences
FROM (${TERMS_DAILY}) terms
GROUP BY term, kind
ORDER BY occurrences DESC, term
LIMIT 10
