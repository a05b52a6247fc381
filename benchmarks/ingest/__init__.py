"""`make bench-ingest`: our producer and raw sink against Kafka's own perf tools, side by side."""
