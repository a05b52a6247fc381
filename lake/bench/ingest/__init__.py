"""make bench-ingest's measurements: producers, consumers, the raw sink, HDFS puts, latency."""
