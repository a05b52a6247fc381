"""The raw sink: `tweets.raw` -> the HDFS raw zone, exactly once (docs/ingestion.md).

raw_sink runs the consumer loop and commits offsets only after a roll is durably in HDFS; roll names,
lays out and renames the files; check is the per-record JSON check; inflight tracks uncommitted
offsets; proc_cpu reports the sink's CPU per thread; status reads the file the sink rewrites every 2 s.
`python -m ingestion.sink` starts it (the stack's `raw-sink` service)."""
