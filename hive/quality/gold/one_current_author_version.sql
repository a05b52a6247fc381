-- dim_authors (SCD2): each author has exactly one current version and no overlapping versions
SELECT count(*) AS observed, 0 AS expected
FROM (
  SELECT author_key FROM hive.${GOLD_DB}.dim_authors
  GROUP BY author_key
  HAVING count_if(is_current) <> 1 OR count(*) <> count(DISTINCT valid_from)
)
