"""`make bench`: the query benchmark (layouts x access patterns, Trino with Spark SQL and DuckDB as peers)."""
