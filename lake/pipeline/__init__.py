"""Pipeline operations the launcher, the Spark driver and Airflow call: build, quality gates,
compaction, the serving view, the speed layer's launch, and the DDL."""
